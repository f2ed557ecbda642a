#!/usr/bin/env python3
"""Issue 4: every limit proves both sides - the abusive client is handled
as specified and everyone else is unaffected."""
import os
import resource
import selectors
import socket
import subprocess
import tempfile
import time

from ircharness import BINARY, MEMORY_MEANINGFUL, Client, free_port, rss_kib, running, run_tests


def test_max_clients():
    with running("[limits]\nmax_clients = 3\n") as srv:
        # the harness' start-up probe connection is gone by now
        a = srv.client("a").join("#x")
        b = srv.client("b").join("#x")
        c = srv.client("c")
        d = Client(srv.port)
        d.expect(r"^ERROR :Closing Link: 127.0.0.1 \(Too many connections\)$")
        assert d.wait_closed()
        a.send("PRIVMSG #x :still here")
        b.expect("still here")
        c.send("QUIT")
        c.wait_closed()
        time.sleep(0.1)
        srv.client("e")   # a slot freed up


def test_max_per_ip():
    with running("[limits]\nmax_per_ip = 2\n") as srv:
        a = srv.client("a")
        b = srv.client("b")
        c = Client(srv.port)
        c.expect(r"^ERROR :Closing Link: 127.0.0.1 \(Too many connections from your host\)$")
        other = Client(srv.port, source="127.0.0.2")
        other.register("other")
        a.send("PRIVMSG b :fine")
        b.expect("fine")


def test_sendq_drops_slow_reader_only():
    with running("[limits]\nsendq = 65536\nflood_burst = 0\n") as srv:
        slow = srv.client("slow").join("#big")
        slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        fast = srv.client("fast").join("#big")
        talker = srv.client("talker").join("#big")
        fast.drain()
        pid = srv.proc.pid
        rss0 = rss_kib(pid)
        line = "PRIVMSG #big :" + "x" * 400
        # slow never reads; fast reads everything. Kernel buffers on loopback
        # absorb a few MB before the server's queue starts to grow.
        dropped = False
        for i in range(40000):
            talker.send(line + " %d" % i)
            if i % 200 == 199:
                got = fast.collect_until(r" %d$" % i)
                if any(":slow!" in l and "QUIT :SendQ exceeded" in l for l in got):
                    dropped = True
                    break
        assert dropped, "slow reader never dropped"
        talker.send("PING :done")
        talker.expect("PONG")
        if MEMORY_MEANINGFUL:
            assert rss_kib(pid) - rss0 < 8192, "server memory grew unbounded"


def test_flood_is_delayed_not_dropped():
    with running("[limits]\nflood_burst = 5\nflood_rate = 20\n") as srv:
        a = srv.client("a")
        other = srv.client("other")
        a.sendraw(b"".join(b"PING :n%d\r\n" % i for i in range(60)))
        # the others are served meanwhile
        other.send("PING :me")
        other.expect("PONG irc.test :me")
        # every line of the burst is answered, in order, none dropped
        for i in range(60):
            a.expect(r"PONG irc.test :n%d$" % i, 10)


def test_excess_flood_disconnects():
    with running("[limits]\nflood_burst = 5\nflood_rate = 1\nrecvq = 4096\n") as srv:
        a = srv.client("a").join("#f")
        b = srv.client("b").join("#f")
        b.drain()
        try:
            a.sendraw(b"PRIVMSG #f :flood\r\n" * 20000)
        except OSError:
            pass
        b.expect(r"^:a!\S+ QUIT :Excess Flood$", 10)
        b.send("PING :ok")
        b.expect("PONG")


def test_partial_line_cannot_grow_memory():
    with running() as srv:
        a = srv.client("a")
        rss0 = rss_kib(srv.proc.pid)
        for _ in range(200):
            a.sendraw(b"x" * 10000)   # 2 MB, never a newline
        a.expect(r" 417 ")
        a.sendraw(b"\r\nPING :alive\r\n")
        a.expect("PONG irc.test :alive")
        a.quiet(r" 417 ", 0.2)   # one 417 for the one long line
        if MEMORY_MEANINGFUL:
            assert rss_kib(srv.proc.pid) - rss0 < 2048


def test_channel_member_target_length_limits():
    with running("[limits]\nmax_channels = 1\nmax_members = 2\nmax_targets = 2\n"
                 "nicklen = 9\nchannellen = 10\ntopiclen = 5\n") as srv:
        a = srv.client("a").join("#one")
        a.send("JOIN #two")
        a.expect(r" 405 a #two ")
        b = srv.client("b").join("#one")
        c = srv.client("c")
        c.send("JOIN #one")
        c.expect(r" 471 c #one ")
        c.send("PRIVMSG a,b,c :x")
        c.expect(r" 407 c c ")
        c.send("NICK abcdefghij")
        c.expect(r" 432 c abcdefghij ")
        c.send("JOIN #abcdefghij")
        c.expect(r" 403 c #abcdefghij ")
        a.send("TOPIC #one :123456789")
        b.expect(r"TOPIC #one :12345$")
        c.send("VERSION")
        lines = c.collect_until(r" 005 .*TOPICLEN")
        text = " ".join(lines)
        assert "NICKLEN=9" in text and "CHANNELLEN=10" in text and "TOPICLEN=5" in text


def test_no_spoofed_prefix_or_injection():
    with running() as srv:
        a = srv.client("a").join("#c")
        b = srv.client("b").join("#c")
        b.drain()
        a.send(":b!b@elsewhere PRIVMSG #c :spoof")
        b.expect(r"^:a!a@127.0.0.1 PRIVMSG #c :spoof$")
        a.sendraw(b"PRIVMSG #c :one\rPRIVMSG #c :two\r\n")
        line = b.expect(r"PRIVMSG #c :one")
        assert line == ":a!a@127.0.0.1 PRIVMSG #c :one PRIVMSG #c :two", line
        a.sendraw(b"PRIVMSG #c :nul\x00:evil!x@y QUIT\r\n")
        assert b.expect(r"PRIVMSG #c :nul") == ":a!a@127.0.0.1 PRIVMSG #c :nul"
        a.send("PRIVMSG #c " + " ".join("p%d" % i for i in range(20)))
        b.expect(r"^:a!a@127.0.0.1 PRIVMSG #c :p0$")
        a.send("@+draft/x=1;y :a PRIVMSG #c :tagged")
        b.expect(r"^:a!a@127.0.0.1 PRIVMSG #c :tagged$")
        a.send("PRIVMSG #c :")
        a.expect(r" 412 ")
        a.send("TOPIC #c ::starts with colon")
        b.expect(r"TOPIC #c ::starts with colon$")
        b.quiet(r"^:(b|evil)", 0.2)
        a.sync()
        b.send("PING :alive")
        b.expect("PONG")


def _fill_channel(port, n, chan):
    """n registered members in chan (raw sockets, pipelined registration)."""
    socks = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"NICK r%d\r\nUSER r 0 * :r\r\nJOIN %s\r\n" % (i, chan.encode()))
        socks.append(s)
    for s in socks:
        buf = b""
        while b" 366 " not in buf:
            buf += s.recv(65536)
    return socks


def test_nothing_lost_in_order_100x20x500():
    members, senders, count = 100, 20, 500
    with running("[limits]\nflood_burst = 0\nsendq = 16777216\nmax_per_ip = 0\n"
                 "throttle_connects = 0\n") as srv:
        socks = _fill_channel(srv.port, members, "#all")
        sel = selectors.DefaultSelector()
        bufs = {}
        seen = {}
        for i, s in enumerate(socks):
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, i)
            bufs[i] = b""
            seen[i] = {}
        # senders write in chunks, interleaved; every receiver must get every
        # line from every other sender, each sender's numbers increasing
        payload = {k: b"".join(b"PRIVMSG #all :m %d %d\r\n" % (k, j) for j in range(count))
                   for k in range(senders)}
        pos = {k: 0 for k in range(senders)}
        expected_per_receiver = lambda i: (senders - (1 if i < senders else 0)) * count
        done = set()
        deadline = time.time() + 120
        while len(done) < members and time.time() < deadline:
            for k in range(senders):
                if pos[k] < len(payload[k]):
                    try:
                        n = socks[k].send(payload[k][pos[k]:pos[k] + 4096])
                        pos[k] += n
                    except BlockingIOError:
                        pass
            for key, _ in sel.select(0.05):
                i = key.data
                try:
                    data = key.fileobj.recv(1 << 20)
                except BlockingIOError:
                    continue
                assert data, "receiver %d disconnected" % i
                buf = bufs[i] + data
                lines = buf.split(b"\r\n")
                bufs[i] = lines.pop()
                for l in lines:
                    if b" PRIVMSG #all :m " not in l:
                        continue
                    _, k, j = l.rsplit(b":", 1)[1].split()
                    k, j = int(k), int(j)
                    assert k != i, "sender got its own message"
                    last = seen[i].get(k, -1)
                    assert j == last + 1, "receiver %d: sender %d went %d -> %d" % (i, k, last, j)
                    seen[i][k] = j
                total = sum(v + 1 for v in seen[i].values())
                if total == expected_per_receiver(i):
                    done.add(i)
        print("deliveries checked:", sum(sum(v + 1 for v in seen[i].values()) for i in range(members)))
        missing = [(i, expected_per_receiver(i) - sum(v + 1 for v in seen[i].values()))
                   for i in range(members) if i not in done]
        assert not missing, "receivers missing messages: %s" % missing[:5]
        for s in socks:
            s.close()


def test_connection_storm_leaves_server_serving():
    with running("[limits]\nmax_per_ip = 0\n") as srv:
        keeper = srv.client("keeper").join("#k")
        watcher = srv.client("watcher").join("#k")
        pid = srv.proc.pid
        rss0 = None
        patterns = [
            b"",                                        # connect, drop
            b"NICK half",                               # half-written line
            b"NICK s%d\r\nUSER s 0 * :s\r\n",            # mid-registration / registered
            b"NICK j%d\r\nUSER j 0 * :j\r\nJOIN #k\r\nPRIVMSG #k :hi",
        ]
        linger = b"\x01\x00\x00\x00\x00\x00\x00\x00"
        for round_ in range(10):
            socks = []
            for i in range(1000):
                s = socket.socket()
                s.connect(("127.0.0.1", srv.port))
                p = patterns[i % len(patterns)]
                if b"%d" in p:
                    p = p % (round_ * 1000 + i)
                if p:
                    s.sendall(p)
                socks.append(s)
            for i, s in enumerate(socks):
                if i % 2:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)  # RST
                s.close()
            keeper.send("PING :r%d" % round_)
            keeper.expect("PONG irc.test :r%d" % round_, 30)
            if round_ == 1:
                rss0 = rss_kib(pid)   # after the allocator has warmed up
        watcher.drain(0.5)
        keeper.send("PRIVMSG #k :still serving")
        watcher.expect("still serving")
        keeper.send("LUSERS")
        lus = keeper.collect_until(r" 266 ")
        assert any(":There are 2 users" in l for l in lus), lus
        growth = rss_kib(pid) - rss0
        if MEMORY_MEANINGFUL:
            assert growth < 4096, "RSS grew %d KiB over 8000 connections" % growth


def test_out_of_fds_does_not_spin():
    # a server with only a few descriptors to spare
    limit = 24
    p = free_port()
    d = tempfile.mkdtemp()
    conf = os.path.join(d, "i.ini")
    with open(conf, "w") as f:
        f.write("[server]\nname = irc.test\n[listen]\naddress = 127.0.0.1:%d\n"
                "[limits]\nmax_per_ip = 0\nthrottle_connects = 0\n" % p)
    log = open(os.path.join(d, "err"), "w+")

    def lower():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    proc = subprocess.Popen([BINARY, "-c", conf], stderr=log, stdout=log, preexec_fn=lower)
    try:
        deadline = time.time() + 5
        while True:
            try:
                socket.create_connection(("127.0.0.1", p), 0.2).close()
                break
            except OSError:
                assert time.time() < deadline
                time.sleep(0.02)
        first = Client(p).register("first")
        hold = []
        for i in range(40):
            try:
                hold.append(socket.create_connection(("127.0.0.1", p), 1))
            except OSError:
                break
        time.sleep(1.0)
        first.send("PING :alive")
        first.expect("PONG irc.test :alive")
        for s in hold:
            s.close()
        time.sleep(0.3)
        Client(p).register("after")
        log.flush()
        with open(log.name) as f:
            pauses = f.read().count("out of file descriptors")
        assert pauses >= 1, "never ran out of descriptors?"
        # one pause per 100 ms at most: a spinning accept loop would log thousands
        assert pauses < 40, pauses
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(5)


if __name__ == "__main__":
    run_tests(globals())

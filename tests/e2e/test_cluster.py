#!/usr/bin/env python3
"""Cluster mode (issue 10): three ircmini nodes sharing one network through
a real redis-server on a free loopback port (data in a temporary
directory). Commands across nodes, the nick race, a node killed, a node
paused past node_timeout, Redis paused and restarted, a randomised model
test. Skips (77) without redis-server or a build without cluster support."""
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from ircharness import BINARY, TIMEOUT, WRAPPER, Client, Server, Skip, free_port, run_tests

REDIS = shutil.which("redis-server")
SENTINEL = shutil.which("redis-sentinel")
SLOW = 6 if WRAPPER else 1
HEARTBEAT = 1
NODE_TIMEOUT = 3 * SLOW
T = TIMEOUT * SLOW


def features():
    try:
        return subprocess.run([BINARY, "-V"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return ""


class Redis:
    """A redis-server on a free loopback port, its data in a temp dir."""

    def __init__(self, port=None, datadir=None, args=()):
        self.port = port or free_port()
        self.dir = datadir or tempfile.mkdtemp(prefix="ircmini-redis-")
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--save", "", "--appendonly", "yes", "--appendfsync", "always"] + list(args),
            stdout=open(os.path.join(self.dir, "redis.log"), "a"), stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while True:
            try:
                s = socket.create_connection(("127.0.0.1", self.port), 0.2)
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    s.close()
                    break
                s.close()
            except OSError:
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def command(self, *args):
        """One command, RESP-encoded; the raw reply bytes."""
        s = socket.create_connection(("127.0.0.1", self.port), 2)
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        s.sendall(out)
        time.sleep(0.05)
        data = s.recv(65536)
        s.close()
        return data

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def node_config(i, rport, network="TestNet", name=None, extra="", timeout=NODE_TIMEOUT):
    # one prefix for all: a node with another network must meet the cluster's
    return ("[server]\nname = %s\nnetwork = %s\nsid = %dAA\n%s"
            "\n[cluster]\nredis = 127.0.0.1:%d\nheartbeat = %d\nnode_timeout = %d\n"
            "prefix = test\n"
            % (name or "irc%d.test" % i, network, i, extra, rport, HEARTBEAT, timeout))


def eventually(client, command, pattern, timeout=None):
    """Send command until a reply matches: another node applies an event
    a moment after the origin does."""
    deadline = time.time() + (timeout or T)
    while True:
        client.send(command)
        lines = client.collect_until(r" (318|315|366|219|368|347|349|324|403|401|442|473|474) ", T)
        for l in lines:
            if re.search(pattern, l):
                return l
        if time.time() > deadline:
            raise AssertionError("no /%s/ after %s:\n  %s" % (pattern, command, "\n  ".join(lines)))
        time.sleep(0.05)


class Cluster:
    def __init__(self, n=3, extra=""):
        self.redis = Redis()
        self.nodes = []
        self.clients = []
        self.extra = extra
        for i in range(1, n + 1):
            self.nodes.append(self.start(i))

    def start(self, i):
        return Server(node_config(i, self.redis.port) + self.extra, name="irc%d.test" % i)

    def client(self, i, nick, caps=()):
        c = Client(self.nodes[i].port)
        if caps:
            c.send("CAP REQ :" + " ".join(caps))
            c.expect(r"CAP \S+ ACK")
            c.send("CAP END")
        c.register(nick)
        self.clients.append(c)
        return c

    def pair(self, i, ni, j, nj, chan="#c"):
        """Two users on nodes i and j, both in chan, each seen by the other."""
        a, b = self.client(i, ni), self.client(j, nj)
        a.join(chan)
        b.join(chan)
        a.expect(r":%s!\S+ JOIN" % nj, T)
        return a, b

    def close(self):
        for c in self.clients:
            c.close()
        bad = []
        for n in self.nodes:
            if n.proc.poll() is None:
                try:
                    os.kill(n.proc.pid, signal.SIGCONT)
                except OSError:
                    pass
            rc = n.stop()
            log = n.stderr()
            if "AddressSanitizer" in log or "runtime error" in log or "LeakSanitizer" in log or \
                    (WRAPPER and rc not in (0, -9)):
                bad.append(log[-4000:])
        try:
            os.kill(self.redis.proc.pid, signal.SIGCONT)
        except OSError:
            pass
        self.redis.stop()
        if bad:
            raise AssertionError("node reports:\n" + "\n----\n".join(bad))

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        self.close()


def seen_by_all(clients, pattern):
    for c in clients:
        c.expect(pattern, T)


# ---- commands across nodes

def test_messages_and_channels_across_nodes():
    with Cluster() as cl:
        a = cl.client(0, "alice", caps=("echo-message", "server-time"))
        b = cl.client(1, "bob", caps=("server-time",))
        c = cl.client(2, "carol")
        for x in (a, b, c):
            x.join("#net")
        # everyone sees the later joins, wherever they came in
        a.expect(r":bob!\S+ JOIN :?#net", T)
        a.expect(r":carol!\S+ JOIN :?#net", T)
        # b's node may apply carol's JOIN a moment after a's did
        eventually(b, "NAMES #net", r" 353 bob . #net :(?=.*@alice)(?=.*\bbob\b)(?=.*\bcarol\b)")
        # a channel message: relayed with server-time, echoed to the sender
        a.send("PRIVMSG #net :hello everyone")
        line = b.expect(r"PRIVMSG #net :hello everyone", T)
        assert re.match(r"@\S*time=\d{4}-\d\d-\d\dT", line), line
        c.expect(r":alice!\S+ PRIVMSG #net :hello everyone", T)
        echo = a.expect(r":alice!\S+ PRIVMSG #net :hello everyone", T)
        assert "time=" in echo, echo
        # to a user on another node
        c.send("PRIVMSG bob :psst")
        b.expect(r":carol!\S+ PRIVMSG bob :psst", T)
        # WHOIS shows the remote node (312), and AWAY (301)
        b.send("AWAY :lunch")
        b.expect(r" 306 ", T)
        eventually(a, "WHOIS bob", r" 301 alice bob :lunch")
        eventually(a, "WHOIS bob", r" 312 alice bob irc2\.test ")
        # LUSERS counts the network: 3 users on 3 servers
        c.send("LUSERS")
        l251 = c.expect(r" 251 ", T)
        assert re.search(r"3 users .* on 3 servers", l251), l251
        # TOPIC, MODE, NICK, KICK, PART, INVITE
        a.send("TOPIC #net :the topic")
        seen_by_all((b, c), r":alice!\S+ TOPIC #net :the topic")
        a.send("MODE #net +o bob")
        seen_by_all((b, c), r":alice!\S+ MODE #net \+o bob")
        b.send("NICK bobby")
        seen_by_all((a, c), r":bob!\S+ NICK :?bobby")
        a.send("MODE #net +i")
        seen_by_all((b, c), r"MODE #net \+i")
        b.send("KICK #net carol :out")
        seen_by_all((a, c), r":bobby!\S+ KICK #net carol :out")
        c.send("JOIN #net")
        c.expect(r" 473 carol #net ", T)
        a.send("INVITE carol #net")
        c.expect(r":alice!\S+ INVITE carol :?#net", T)
        c.send("JOIN #net")
        c.expect(r" 366 carol #net ", T)
        seen_by_all((a, b), r":carol!\S+ JOIN :?#net")
        c.send("PART #net :bye")
        seen_by_all((a, b), r":carol!\S+ PART #net :bye")
        b.send("QUIT :gone home")
        a.expect(r":bobby!\S+ QUIT :.*gone home", T)


def test_exceptions_across_nodes():
    """+e/+I set on one node let a JOIN on another node past +b/+i, and
    are listed there."""
    with Cluster(n=2) as cl:
        a = cl.client(0, "alice")
        b = cl.client(1, "bob")
        a.join("#x")
        a.send("MODE #x +ib *!*@*")
        a.expect(r"MODE #x \+ib \*!\*@\*$", T)
        # (node 2 must know #x first, or bob's JOIN would create it there)
        eventually(b, "MODE #x", r" 324 bob #x \+int$")
        eventually(b, "JOIN #x", r" 473 bob #x ")
        a.send("MODE #x +I bob")
        a.expect(r"MODE #x \+I bob!\*@\*$", T)
        # past +i on node 2: now the ban stops bob
        eventually(b, "JOIN #x", r" 474 bob #x ")
        a.send("MODE #x +e *!bob@*")
        a.expect(r"MODE #x \+e \*!bob@\*$", T)
        eventually(b, "JOIN #x", r" 366 bob #x ")
        a.expect(r":bob!\S+ JOIN :?#x", T)
        a.send("MODE #x +o bob")
        b.expect(r":alice!\S+ MODE #x \+o bob$", T)
        eventually(b, "MODE #x e", r"^:irc2\.test 348 bob #x \*!bob@\* alice \d+$")
        eventually(b, "MODE #x I", r"^:irc2\.test 346 bob #x bob!\*@\* alice \d+$")


def test_kill_across_nodes():
    with Cluster() as cl:
        pw = "operpw"
        from ircharness import oper_hash
        cl.nodes[0].stop()
        cl.nodes[0] = Server(node_config(1, cl.redis.port) + "\n[operators]\nroot = %s\n" % oper_hash(pw),
                             name="irc1.test")
        o = cl.client(0, "oper")
        v = cl.client(2, "victim")
        w = cl.client(1, "witness")
        v.join("#k")
        w.join("#k")
        o.send("OPER root " + pw)
        o.expect(r" 381 ", T)
        o.send("KILL victim :enough")
        v.expect(r"ERROR :.*enough", T)
        w.expect(r":victim!\S+ QUIT :.*enough", T)
        time.sleep(0.3)
        n = cl.client(1, "victim")   # the nick is free again
        eventually(o, "WHOIS victim", r" 312 oper victim irc2\.test ")
        # WALLOPS is an event too: +w users on every node hear it once,
        # the others (witness, on node 2 like the +w one) do not
        n.send("MODE victim +w")
        n.expect(r"MODE victim :\+w$", T)
        o.send("WALLOPS :all nodes")
        o.expect(r"^:oper!\S+ WALLOPS :all nodes$", T)   # operators hear it too
        n.expect(r"^:oper!\S+ WALLOPS :all nodes$", T)
        n.quiet("WALLOPS")
        w.sync()
        w.quiet("WALLOPS")


def test_nick_race():
    """Two clients on two nodes take one nick at once, many times: never
    both, and every node agrees who has it."""
    with Cluster() as cl:
        rounds = 8 if WRAPPER else 25
        obs = cl.client(2, "observer")
        for r in range(rounds):
            x = cl.client(0, "xa%d" % r)
            y = cl.client(1, "ya%d" % r)
            want = "race%d" % r
            x.send("NICK " + want)
            y.send("NICK " + want)
            got = []
            for cli in (x, y):
                line = cli.expect(r"( 433 \S+ %s | NICK :?%s$)" % (want, want), T)
                got.append(" 433 " not in line)
            assert sum(got) == 1, (r, got)
            node = "irc1.test" if got[0] else "irc2.test"
            eventually(obs, "WHOIS " + want, r" 312 observer %s %s " % (want, re.escape(node)))
            x.close()
            y.close()


# ---- failures

def test_node_killed_its_users_quit():
    with Cluster() as cl:
        a, z = cl.pair(0, "alice", 2, "zed")
        cl.nodes[2].proc.send_signal(signal.SIGKILL)
        cl.nodes[2].proc.wait()
        line = a.expect(r":zed!\S+ QUIT :", NODE_TIMEOUT + HEARTBEAT + T)
        assert "irc3.test" in line, line
        b = cl.client(1, "zed")   # the nick is free
        b.send("LUSERS")
        assert re.search(r"2 users .* on 2 servers", b.expect(r" 251 ", T))
        eventually(a, "WHOIS zed", r" 312 alice zed irc2\.test ")


def test_node_paused_past_timeout_rejoins():
    with Cluster() as cl:
        a, p = cl.pair(0, "alice", 2, "paula")
        node = cl.nodes[2]
        os.kill(node.proc.pid, signal.SIGSTOP)
        a.expect(r":paula!\S+ QUIT :.*irc3\.test", NODE_TIMEOUT + HEARTBEAT + T)
        os.kill(node.proc.pid, signal.SIGCONT)
        p.expect(r"^ERROR :", T)
        assert p.wait_closed(T)
        # it is back, fresh: a new client there sees the network
        deadline = time.time() + T
        while True:
            try:
                q = cl.client(2, "paula2")
                break
            except (AssertionError, OSError):
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        q.join("#c")
        a.expect(r":paula2!\S+ JOIN", T)
        q.send("NAMES #c")
        assert "alice" in q.expect(r" 353 ", T)
        assert node.proc.poll() is None


def test_redis_paused_nothing_lost_nor_duplicated():
    with Cluster() as cl:
        a, b = cl.pair(0, "alice", 1, "bob")
        os.kill(cl.redis.proc.pid, signal.SIGSTOP)
        try:
            for i in range(20):
                a.send("PRIVMSG #c :m%d" % i)
            time.sleep(min(1.0, NODE_TIMEOUT / 3))
        finally:
            os.kill(cl.redis.proc.pid, signal.SIGCONT)
        got = [re.search(r":m(\d+)$", b.expect(r"PRIVMSG #c :m\d+$", T)).group(1) for _ in range(20)]
        assert got == [str(i) for i in range(20)], got
        b.quiet(r"PRIVMSG #c :m", 0.5)
        assert all(n.proc.poll() is None for n in cl.nodes)


def test_redis_restarted_with_aof():
    with Cluster() as cl:
        a, b = cl.pair(0, "alice", 1, "bob")
        port, datadir = cl.redis.port, cl.redis.dir
        cl.redis.stop()
        time.sleep(0.3)
        cl.redis = Redis(port, datadir)
        a.send("PRIVMSG #c :after restart")
        b.expect(r"PRIVMSG #c :after restart", T + 3)
        c = cl.client(2, "carol")
        c.join("#c")
        a.expect(r":carol!\S+ JOIN", T)
        c.send("NAMES #c")
        names = c.expect(r" 353 ", T)
        assert "alice" in names and "bob" in names, names


def test_scripts_flushed_appends_carry_on():
    """Appends name their script by SHA1 (EVALSHA): after Redis forgot it
    (SCRIPT FLUSH, as a restart or a promoted replica would) a node loads
    it again and sends what was refused, in order, once."""
    with Cluster(extra="[limits]\nflood_burst = 0\n") as cl:
        a, b = cl.pair(0, "alice", 1, "bob")
        assert cl.redis.command("SCRIPT", "FLUSH").startswith(b"+OK")
        a.send("".join("PRIVMSG #c :f%d\r\n" % i for i in range(300)))
        got = [re.search(r":f(\d+)$", b.expect(r"PRIVMSG #c :f\d+$", T)).group(1) for _ in range(300)]
        assert got == [str(i) for i in range(300)], got
        b.quiet(r"PRIVMSG #c :f", 0.5)
        assert "NOSCRIPT" in cl.nodes[0].stderr(), cl.nodes[0].stderr()[-2000:]


def test_redis_killed_mid_burst_nothing_lost_nor_duplicated():
    """Batches in flight when Redis dies (appendfsync always: what it
    acked is on disk) are sent again after the restart: the ones it had
    appended are skipped, the rest follow, in order."""
    with Cluster(extra="[limits]\nflood_burst = 0\n") as cl:
        a, b = cl.pair(0, "alice", 1, "bob")
        n = 500 if WRAPPER else 1500
        a.send("".join("PRIVMSG #c :k%d\r\n" % i for i in range(n)))
        time.sleep(0.02)
        port, datadir = cl.redis.port, cl.redis.dir
        cl.redis.proc.kill()
        cl.redis.proc.wait()
        time.sleep(0.3)
        cl.redis = Redis(port, datadir)
        got = [int(re.search(r":k(\d+)$", b.expect(r"PRIVMSG #c :k\d+$", T + 3)).group(1)) for _ in range(n)]
        assert got == list(range(n)), [x for i, x in enumerate(got) if x != i][:10]
        b.quiet(r"PRIVMSG #c :k", 0.5)
        assert all(nd.proc.poll() is None for nd in cl.nodes)


def emit_script():
    """The append script's Lua, from its C string in cluster_boot.c."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "cluster_boot.c")
    with open(src) as f:
        text = f.read()
    body = re.search(r"cl_lua_emit =\s*((?:\"(?:[^\"\\]|\\.)*\"\s*)+);", text).group(1)
    lits = re.findall(r"\"((?:[^\"\\]|\\.)*)\"", body)
    return "".join(lits).encode().decode("unicode_escape")


def test_append_script_skips_resends_and_refuses_gaps():
    """The script itself: a resent sequence number is skipped, one past a
    missing number is refused (GAP) and nothing of its batch appended,
    a gap up to base (acked, then lost by Redis) is accepted, a node not
    live in its incarnation appends nothing."""
    r = Redis()
    try:
        lua = emit_script()
        keys = ("s:nodes", "s:seq", "s:log")
        r.command("HSET", "s:nodes", "n1", "100")

        def emit(base, *seqs, inc="100"):
            args = ["EVAL", lua, "3", *keys, "n1", inc, str(base)]
            for q in seqs:
                args += [str(q), "4", "t", "x", "q", str(q)]
            return r.command(*args)

        def log():
            raw = r.command("XRANGE", "s:log", "-", "+")
            return [int(x) for x in re.findall(rb"\$1\r\nq\r\n\$\d+\r\n(\d+)\r\n", raw)]

        assert emit(0, 1, 2) == b":1\r\n"
        assert emit(0, 1, 2, 3) == b":1\r\n"         # 1 and 2 resent: skipped
        assert log() == [1, 2, 3]
        assert emit(0, 5, 6).startswith(b"-GAP")       # 4 is missing
        assert log() == [1, 2, 3]
        assert emit(4, 5, 6) == b":1\r\n"            # 4 was acked: Redis lost it
        assert log() == [1, 2, 3, 5, 6]
        assert emit(6, 7, inc="99") == b":0\r\n"     # an earlier incarnation
        assert log() == [1, 2, 3, 5, 6]
        assert r.command("HGET", "s:seq", "n1") == b"$1\r\n6\r\n"
    finally:
        r.stop()


def test_snapshot_bounds_the_stream_and_bootstraps_a_node():
    with Cluster(extra="snapshot_interval = 1\n[limits]\nflood_burst = 0\n") as cl:
        a = cl.client(0, "alice")
        b = cl.client(1, "bob")
        a.join("#s")
        b.join("#s")
        a.send("TOPIC #s :kept in the snapshot")
        b.expect(r"TOPIC #s :kept", T)
        for i in range(300):
            a.send("PRIVMSG #s :n%d" % i)
        b.expect(r"PRIVMSG #s :n299", T)
        # a snapshot was written and the stream trimmed behind it
        deadline = time.time() + 5 * SLOW
        while True:
            xlen = int(re.match(rb":(\d+)", cl.redis.command("XLEN", "test:log")).group(1))
            if xlen < 100:
                break
            assert time.time() < deadline, "stream not trimmed: %d entries" % xlen
            time.sleep(0.3)
        assert b"events" in cl.redis.command("HGETALL", "test:snapshot")
        # a node restarted now starts from the snapshot
        assert cl.nodes[2].stop() == 0
        cl.nodes[2] = cl.start(3)
        c = cl.client(2, "carol")
        c.send("NAMES #s")
        names = c.expect(r" 353 ", T)
        assert "alice" in names and "bob" in names, names
        c.send("TOPIC #s")
        c.expect(r" 332 carol #s :kept in the snapshot", T)
        log = cl.nodes[2].stderr()
        assert re.search(r"snapshot \d+-\d+: \d+ events", log), log


def test_sentinel_failover():
    """A primary, one replica and one sentinel on loopback: the nodes find
    the primary through the sentinel and follow it when it fails over."""
    if not SENTINEL:
        raise Skip("no redis-sentinel (Debian package redis-sentinel)")
    primary = Redis(args=("--repl-diskless-sync-delay", "0"))
    replica = Redis(args=("--replicaof", "127.0.0.1", str(primary.port)))
    sdir = tempfile.mkdtemp(prefix="ircmini-sentinel-")
    sport = free_port()
    with open(os.path.join(sdir, "sentinel.conf"), "w") as f:
        f.write("port %d\nbind 127.0.0.1\ndir %s\n"
                "sentinel monitor ircmini 127.0.0.1 %d 1\n"
                "sentinel down-after-milliseconds ircmini 1000\n"
                "sentinel failover-timeout ircmini 5000\n" % (sport, sdir, primary.port))
    sentinel = subprocess.Popen([SENTINEL, os.path.join(sdir, "sentinel.conf")],
                                stdout=open(os.path.join(sdir, "log"), "w"), stderr=subprocess.STDOUT)
    nodes = []
    try:
        time.sleep(1.0)
        for i in (1, 2):
            # a failover takes a few seconds: longer than that, so no node is lost
            conf = node_config(i, 0, timeout=10 * SLOW).replace("redis = 127.0.0.1:0\n", "sentinel = 127.0.0.1:%d\n"
                                              "master_name = ircmini\n" % sport)
            nodes.append(Server(conf, name="irc%d.test" % i))
        a = Client(nodes[0].port).register("alice")
        b = Client(nodes[1].port).register("bob")
        a.join("#f")
        b.join("#f")
        a.expect(r":bob!\S+ JOIN", T)
        a.send("PRIVMSG #f :before")
        b.expect(r"PRIVMSG #f :before", T)
        # let the replica catch up, then lose the primary
        deadline = time.time() + 10 * SLOW
        while replica.command("XLEN", "test:log") != primary.command("XLEN", "test:log"):
            assert time.time() < deadline, "the replica does not catch up"
            time.sleep(0.1)
        primary.proc.kill()
        primary.proc.wait()
        deadline = time.time() + 20 * SLOW
        t0 = time.time()
        while b"role:master" not in replica.command("INFO", "replication"):
            assert time.time() < deadline, "no failover"
            time.sleep(0.2)
        print("(failover after %.1f s)" % (time.time() - t0))
        # the nodes follow: messages flow again, through the new primary
        a.send("PRIVMSG #f :after")
        b.expect(r"PRIVMSG #f :after", 10 * SLOW)
        b.send("PRIVMSG #f :back")
        a.expect(r"PRIVMSG #f :back", 10 * SLOW)
        assert b"TestNet" in replica.command("HGET", "test:meta", "network")
        for n in nodes:
            assert n.proc.poll() is None, n.stderr()
    finally:
        for n in nodes:
            n.stop()
        sentinel.terminate()
        sentinel.wait(10)
        replica.stop()
        primary.stop()


# ---- configuration against the cluster

def test_mismatch_and_duplicate_name_refused():
    with Cluster(n=1) as cl:
        d = tempfile.mkdtemp(prefix="ircmini-test-")
        conf = os.path.join(d, "bad.ini")
        with open(conf, "w") as f:
            f.write(node_config(2, cl.redis.port, network="OtherNet")
                    + "[listen]\naddress = 127.0.0.1:%d\n" % free_port())
        r = subprocess.run(WRAPPER + [BINARY, "-c", conf], capture_output=True, text=True, timeout=60)
        assert r.returncode != 0
        assert "OtherNet" in r.stderr and "TestNet" in r.stderr, r.stderr
        with open(conf, "w") as f:
            f.write(node_config(2, cl.redis.port, name="irc1.test")
                    + "[listen]\naddress = 127.0.0.1:%d\n" % free_port())
        t0 = time.time()
        r = subprocess.run(WRAPPER + [BINARY, "-c", conf], capture_output=True, text=True, timeout=60)
        assert r.returncode != 0
        assert "irc1.test" in r.stderr and "live" in r.stderr, r.stderr
        shutil.rmtree(d)


# ---- one order of messages

def test_channel_messages_in_one_order_for_every_member():
    """Members on three nodes talk at once; each sees the channel's
    messages (its own echoed) in one and the same order."""
    with Cluster() as cl:
        members = [cl.client(i % 3, "m%d" % i, caps=("echo-message",)) for i in range(6)]
        for m in members:
            m.join("#o")
        for m in members:
            m.sync()
            m.drain(0.2)
        per = 10 if WRAPPER else 30
        for k in range(per):
            for i, m in enumerate(members):
                m.send("PRIVMSG #o :%d-%d" % (i, k))
        total = per * len(members)
        orders = []
        for m in members:
            seq = []
            while len(seq) < total:
                line = m.expect(r"PRIVMSG #o :\d+-\d+$", T)
                seq.append(line.rsplit(":", 1)[1])
            orders.append(seq)
        for o in orders[1:]:
            assert o == orders[0]
        # and each sender's messages in the order it sent them
        for i in range(len(members)):
            mine = [x for x in orders[0] if x.startswith("%d-" % i)]
            assert mine == ["%d-%d" % (i, k) for k in range(per)], mine


# ---- the randomised model test

def test_random_model_every_node_agrees():
    rnd = random.Random(int(os.environ.get("CLUSTER_SEED", "10")))
    steps = 60 if WRAPPER else 200
    with Cluster() as cl:
        clients = []
        for i in range(6):
            clients.append(cl.client(i % 3, "u%d" % i))
        chans = ["#a", "#b", "#c"]
        # everyone an op everywhere to begin with, so modes, topics and
        # kicks do happen (and race)
        for ch in chans:
            clients[0].join(ch)
        for c in clients[1:]:
            for ch in chans:
                c.join(ch)
        for ch in chans:
            clients[0].send("MODE %s +oooo %s" % (ch, " ".join(c.nick for c in clients[1:5])))
            clients[0].send("MODE %s +o %s" % (ch, clients[5].nick))
        clients[5].expect(r"MODE #c \+o u5", T)
        for _ in range(steps):
            c = rnd.choice(clients)
            op = rnd.random()
            ch = rnd.choice(chans)
            if op < 0.25:
                c.send("JOIN " + ch)
            elif op < 0.30:
                c.send("PART " + ch)
            elif op < 0.38:
                c.send("NICK n%d" % rnd.randrange(8))
            elif op < 0.50:
                c.send("MODE %s %s%s" % (ch, rnd.choice("+-"), rnd.choice("ntm")))
            elif op < 0.60:
                c.send("TOPIC %s :t%d" % (ch, rnd.randrange(100)))
            elif op < 0.65:
                c.send("KICK %s %s :k" % (ch, rnd.choice(clients).nick))
            else:
                c.send("PRIVMSG %s :x%d" % (ch, rnd.randrange(10 ** 6)))
        time.sleep(1.0 * SLOW)
        views = []
        strip = lambda l: re.sub(r"^:\S+ \d{3} \S+ ", "", l)   # server and requester differ
        for i in range(3):
            v = cl.client(i, "viewer%d" % i)
            view = []
            for ch in chans:
                v.send("NAMES " + ch)
                names = [strip(l) for l in v.collect_until(r" 366 ", T) if " 353 " in l]
                v.send("MODE " + ch)
                mode = strip(v.expect(r" (324|403) ", T))
                v.send("TOPIC " + ch)
                topic = strip(v.expect(r" (331|332|403|442) ", T))
                v.send("WHO " + ch)
                # hopcount differs (0 on the user's own node): not state
                who = sorted(re.sub(r" :\d+ ", " ", strip(l))
                             for l in v.collect_until(r" 315 ", T) if " 352 " in l)
                names = sorted(" ".join(n.split(":", 1)[1].split()) for n in names)
                view.append((ch, names, mode, topic, who))
            views.append(view)
        # the random walk did something worth comparing
        assert sum(len(v[4]) for v in views[0]) >= 3, views[0]
        if os.environ.get("CLUSTER_SHOW"):
            print(views[0])
        assert views[0] == views[1] == views[2], views


if __name__ == "__main__":
    if not REDIS:
        print("SKIP: redis-server not installed")
        sys.exit(77)
    if " cluster" not in features():
        print("SKIP: ircmini built without cluster support")
        sys.exit(77)
    run_tests(globals())

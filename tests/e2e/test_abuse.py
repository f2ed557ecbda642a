#!/usr/bin/env python3
"""Issue 12: the per-address limit and the connect throttle, on by default,
with CIDR exemptions; a refused connection costs an ERROR line and nothing
else, and a storm of them leaves the server's memory flat while the users
already on it notice nothing. Short configured windows, never long sleeps."""
import socket
import time

from ircharness import MEMORY_MEANINGFUL, TIMEOUT, Client, read_until_closed, rss_kib, running, run_tests

LIMIT = "Too many connections from your host"
THROTTLE = "Throttled: reconnecting too fast"


def refused_line(c):
    line = c.expect(r"^ERROR ")
    assert c.wait_closed(), "a refused connection stays open"
    return line


def raw_refusal(port, source):
    """Connect, read everything until the server closes; the lines."""
    s = socket.create_connection(("127.0.0.1", port), TIMEOUT, source_address=(source, 0))
    data = read_until_closed(s)
    s.close()
    return data.decode().splitlines()


def test_defaults_limit_loopback_too():
    # the shipped defaults, loopback included: nothing exempt by code
    with running("", defaults=False) as srv:
        ok, refused = [], None
        for i in range(12):
            c = Client(srv.port)
            try:
                c.send("NICK n%d" % i)
                c.send("USER u 0 * :x")
            except OSError:
                pass   # refused already: the ERROR line is waiting
            line = c.expect(r"^(ERROR |:\S+ 001 )")
            if line.startswith("ERROR"):
                refused = line
                break
            ok.append(c)
        # the harness's start-up probe was one connect of the 10 a minute
        assert len(ok) == 9, len(ok)
        assert refused in ("ERROR :Closing Link: 127.0.0.1 (%s)" % THROTTLE,
                           "ERROR :Closing Link: 127.0.0.1 (%s)" % LIMIT), refused
        # the ones in are unaffected
        ok[0].send("PRIVMSG n1 :still fine")
        ok[1].expect(r"^:n0!~?u@\S+ PRIVMSG n1 :still fine$")


def test_limit_hit_and_lifted_per_address():
    with running("[limits]\nmax_per_ip = 3\nthrottle_connects = 0\n") as srv:
        cs = [Client(srv.port, source="127.0.0.2").register("c%d" % i) for i in range(3)]
        extra = Client(srv.port, source="127.0.0.2")
        assert refused_line(extra) == "ERROR :Closing Link: 127.0.0.2 (%s)" % LIMIT
        # another address is someone else
        other = Client(srv.port, source="127.0.0.3").register("other")
        # one leaves: its slot is free again
        cs[0].send("QUIT :bye")
        assert cs[0].wait_closed()
        deadline = time.time() + TIMEOUT
        while True:
            c = Client(srv.port, source="127.0.0.2")
            try:
                c.send("NICK again")
                c.send("USER again 0 * :x")
            except OSError:
                pass
            line = c.expect(r"^(ERROR |:\S+ 001 )")
            if " 001 " in line:
                break
            assert time.time() < deadline, "the slot was never freed"
            time.sleep(0.05)
        other.send("PRIVMSG c1 :hello")
        cs[1].expect(r"^:other!~?other@127\.0\.0\.3 PRIVMSG c1 :hello$")


def test_exemptions_by_cidr():
    conf = "[limits]\nmax_per_ip = 1\nthrottle_connects = 2\nexempt = 127.0.0.8/29\n"
    with running(conf) as srv:
        inside = [Client(srv.port, source="127.0.0.%d" % (8 + i % 8)).register("in%d" % i)
                  for i in range(12)]
        a = Client(srv.port, source="127.0.0.2").register("out")
        b = Client(srv.port, source="127.0.0.2")
        assert refused_line(b) == "ERROR :Closing Link: 127.0.0.2 (%s)" % LIMIT
        inside[0].send("PRIVMSG out :exempt and talking")
        a.expect(r"PRIVMSG out :exempt and talking$")


def test_throttle_window_then_lifted():
    conf = "[limits]\nmax_per_ip = 0\nthrottle_connects = 3\nthrottle_window = 30\nthrottle_duration = 1\n"
    with running(conf) as srv:
        for i in range(3):
            c = Client(srv.port, source="127.0.0.4").register("r%d" % i)
            c.send("QUIT")
            assert c.wait_closed()
        t0 = time.time()
        lines = raw_refusal(srv.port, "127.0.0.4")
        assert lines == ["ERROR :Closing Link: 127.0.0.4 (%s)" % THROTTLE], lines
        # attempts while throttled do not extend it
        assert raw_refusal(srv.port, "127.0.0.4") == lines
        # other addresses are not throttled
        Client(srv.port, source="127.0.0.5").register("bystander")
        time.sleep(max(0, 1.1 - (time.time() - t0)))
        Client(srv.port, source="127.0.0.4").register("back")


def test_refused_storm_leaves_memory_flat_and_users_unaware():
    conf = ("[limits]\nmax_per_ip = 2\nthrottle_connects = 5\nthrottle_window = 60\n"
            "throttle_duration = 60\nexempt = 127.0.0.1\n")
    with running(conf) as srv:
        a = srv.client("alice").join("#calm")
        b = srv.client("bob").join("#calm")
        a.expect(r"JOIN #calm")
        # fill the throttle for 127.0.0.6, then warm up the refusal path
        for i in range(5):
            Client(srv.port, source="127.0.0.6").close()
        for i in range(200):
            raw_refusal(srv.port, "127.0.0.6")
        b.sync()
        rss0 = rss_kib(srv.proc.pid)
        t0 = time.time()
        n = 2000
        for i in range(n):
            lines = raw_refusal(srv.port, "127.0.0.6")
            assert lines == ["ERROR :Closing Link: 127.0.0.6 (%s)" % THROTTLE], (i, lines)
        rss1 = rss_kib(srv.proc.pid)
        print("refused storm: %d connections, RSS %d -> %d KiB" % (n, rss0, rss1))
        if MEMORY_MEANINGFUL:
            assert rss1 - rss0 < 256, (rss0, rss1)
        # the users on it noticed nothing: no line but the one sent
        a.send("PRIVMSG #calm :after the storm")
        b.expect(r"^:alice!\S+ PRIVMSG #calm :after the storm$")
        b.quiet(r".", 0.2)
        # at most 10 refusals a second reach the log, the rest are counted
        log = srv.stderr()
        seconds = int(time.time() - t0) + 2
        assert log.count("refused 127.0.0.6") <= 10 * (seconds + 1), log.count("refused 127.0.0.6")
        assert log.count("refused 127.0.0.6") < n / 10


if __name__ == "__main__":
    run_tests(globals())

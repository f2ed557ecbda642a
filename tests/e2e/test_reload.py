#!/usr/bin/env python3
"""End-to-end tests of running ircmini as a service (issue 6): SIGHUP reload
(MOTD, limits, description, listeners, log level) without dropping anyone,
a bad new config keeping the old one, `ircmini -t` and a bad config at start.
Socket activation is in test_socket_activation.py, which needs a tool."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from ircharness import BINARY, TIMEOUT, WRAPPER, Client, free_port, running, run_tests

# valgrind (IRCMINI_WRAPPER) is slow to start and stop
SLOW = 6 if WRAPPER else 1


def config(port, *extra_ports, motd="old motd", description="Old description",
           server_extra="", limits=""):
    # the whole file is rewritten on reload: it says itself what the
    # harness would add (no throttle, plain addresses)
    addrs = "".join("address = 127.0.0.1:%d\n" % p for p in (port,) + extra_ports)
    return ("[server]\nname = irc.test\nnetwork = TestNet\ndescription = %s\nmotd = %s\n%s"
            "\n[listen]\n%s\n[cloak]\nenabled = no\n\n[limits]\nthrottle_connects = 0\n%s"
            % (description, motd, server_extra, addrs, limits))


def count(srv, pattern):
    return len(re.findall(pattern, srv.stderr()))


def reload(srv, text=None, expect="configuration reloaded"):
    """Write `text` (if given) as the new config, SIGHUP, and wait until
    the server logs the outcome `expect` one more time than before."""
    if text is not None:
        with open(srv.conf, "w") as f:
            f.write(text)
    before = count(srv, expect)
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + TIMEOUT * SLOW
    while count(srv, expect) == before:
        assert srv.proc.poll() is None, "server died on SIGHUP:\n" + srv.stderr()
        assert time.time() < deadline, "no /%s/ after SIGHUP:\n%s" % (expect, srv.stderr())
        time.sleep(0.02)
    return srv.stderr()


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), TIMEOUT).close()
    except ConnectionRefusedError:
        return True
    return False


def motd_lines(c):
    c.send("MOTD")
    return [l for l in c.collect_until(r" (376|422) ") if " 372 " in l]


def still_there(c, chan, peer):
    """c answers PING, is still on chan, and its messages still reach peer."""
    c.sync()
    c.send("NAMES " + chan)
    names = c.expect(r" 353 ")
    assert re.search(r"[:@+ ]%s( |$)" % re.escape(c.nick), names), names
    c.send("PRIVMSG %s :still here" % chan)
    peer.expect(r":%s!\S+ PRIVMSG %s :still here" % (re.escape(c.nick), re.escape(chan)))


def test_reload_applies_motd_description_and_limits():
    port = free_port()
    with running(config(port), port=port) as srv:
        alice = srv.client("alice").join("#keep")
        bob = srv.client("bob").join("#keep")
        alice.expect(r":bob!\S+ JOIN #keep")
        assert motd_lines(alice)[0].endswith(":- old motd")

        reload(srv, config(port, motd="new motd", description="New description",
                           limits="topiclen = 100\nmax_per_ip = 3\n"))
        lines = motd_lines(alice)
        assert len(lines) == 1 and lines[0].endswith(":- new motd"), lines
        alice.send("ADMIN")
        assert alice.expect(r" 257 ").endswith(":New description")
        alice.send("WHOIS bob")
        assert alice.expect(r" 312 alice bob ").endswith(":New description")
        still_there(alice, "#keep", bob)

        # the new limits reach new clients: 005 and the per-address cap
        carol = srv.client()
        carol.send("NICK carol")
        carol.send("USER carol 0 * :Carol")
        burst = carol.collect_until(r" (376|422) ")
        assert "TOPICLEN=100" in " ".join(l for l in burst if " 005 " in l), burst
        assert any(l.endswith(":- new motd") for l in burst), burst
        dave = Client(srv.port)  # a 4th connection from 127.0.0.1
        dave.expect(r"^ERROR :Closing Link: .*Too many connections from your host")
        assert dave.wait_closed()
        # ... and the old ones are untouched by the lower cap
        still_there(bob, "#keep", alice)


def test_reload_adds_and_removes_listeners():
    a, b = free_port(), free_port()
    with running(config(a), port=a) as srv:
        assert refused(b)
        alice = srv.client("alice").join("#keep")    # connected through a
        log = reload(srv, config(a, b))
        assert "listening on 127.0.0.1:%d" % b in log, log
        bob = Client(b).register("bob").join("#keep")
        alice.expect(r":bob!\S+ JOIN #keep")
        still_there(alice, "#keep", bob)

        log = reload(srv, config(b))                 # drop a
        assert "stopped listening on 127.0.0.1:%d" % a in log, log
        assert refused(a)
        # closing a's listening socket leaves a's accepted connections alone
        still_there(alice, "#keep", bob)
        still_there(bob, "#keep", alice)
        Client(b).register("carol")


def test_reload_invalid_config_keeps_old():
    a, b = free_port(), free_port()
    with running(config(a), port=a) as srv:
        alice = srv.client("alice").join("#keep")
        bob = srv.client("bob").join("#keep")
        good = open(srv.conf).read()
        # nicklen is out of range; the file also adds b and a new MOTD
        bad = config(a, b, motd="new motd", limits="nicklen = 5\n")
        line = bad.splitlines().index("nicklen = 5") + 1
        log = reload(srv, bad, expect="reload failed")
        assert re.search(r"reload failed, keeping the running configuration: %s:%d: "
                         r"\[limits\] nicklen: .*out of range" % (re.escape(srv.conf), line),
                         log), log
        assert refused(b)
        assert motd_lines(alice)[0].endswith(":- old motd")
        Client(a).register("carol")
        still_there(alice, "#keep", bob)

        # a syntax error names its line too
        log = reload(srv, good + "this is not ini\n", expect="reload failed")
        n = len(good.splitlines()) + 1
        assert "%s:%d: syntax error" % (srv.conf, n) in log, log

        # a listener that cannot be bound rejects the whole file: no new MOTD either
        blocker = socket.socket()
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", b))
        blocker.listen(1)
        try:
            log = reload(srv, config(a, b, motd="new motd"), expect="reload failed")
            assert "[listen] address: cannot listen on 127.0.0.1:%d: Address already in use" % b in log, log
            assert motd_lines(alice)[0].endswith(":- old motd")
            Client(a).register("dave")
        finally:
            blocker.close()
        still_there(alice, "#keep", bob)

        # and the next good file is taken as usual
        reload(srv, config(a, motd="fixed motd"))
        assert motd_lines(alice)[0].endswith(":- fixed motd")


def test_reload_keeps_casemapping():
    a = free_port()
    with running(config(a), port=a) as srv:
        alice = srv.client("alice")
        log = reload(srv, config(a, server_extra="casemapping = ascii\n"))
        assert "casemapping cannot change at runtime; keeping rfc1459" in log, log
        # rfc1459 still folds [ and {
        alice.send("NICK [x]")
        alice.expect(r"NICK :?\[x\]")
        bob = srv.client()
        bob.send("NICK {x}")
        bob.expect(r" 433 \* \{x\} ")
        bob.send("NICK bob")
        bob.send("USER bob 0 * :Bob")
        burst = bob.collect_until(r" (376|422) ")
        assert "CASEMAPPING=rfc1459" in " ".join(burst), burst


def test_log_lines_and_level_on_reload():
    a = free_port()
    with running(config(a, server_extra="log_level = warn\n"), port=a) as srv:
        c = srv.client("quiet1")
        c.send("QUIT :bye")
        c.wait_closed()
        reload(srv, config(a))     # back to the default, info
        c = srv.client("loud1")
        c.send("QUIT :gone now")
        c.wait_closed()
        deadline = time.time() + TIMEOUT * SLOW
        while "disconnected loud1" not in srv.stderr() and time.time() < deadline:
            time.sleep(0.02)
        log = srv.stderr()
        assert "quiet1" not in log, log
        # stderr is a file, not the journal: plain level words, no "<N>", no colour
        assert re.search(r"^ircmini: info: connect from 127\.0\.0\.1$", log, re.M), log
        assert re.search(r"^ircmini: info: registered loud1!loud1@127\.0\.0\.1$", log, re.M), log
        assert re.search(r"^ircmini: info: disconnected loud1@127\.0\.0\.1 \(.*gone now\)$", log, re.M), log
        assert "\x1b[" not in log
        assert "<6>" not in log, log


def test_priority_prefixes_only_on_the_journal_stream():
    # systemd's JOURNAL_STREAM names stderr's device:inode when stderr is the
    # journal; a redirected stderr keeps the variable but is another file
    d = tempfile.mkdtemp(prefix="ircmini-test-")
    try:
        bad = os.path.join(d, "bad.ini")
        with open(bad, "w") as f:
            f.write("[server]\nname = irc.test\nbogus = 1\n")
        for journal in (True, False):
            with open(os.path.join(d, "err-%d" % journal), "w+") as err:
                st = os.fstat(err.fileno())
                env = dict(os.environ)
                env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino + (0 if journal else 1))
                r = subprocess.run(WRAPPER + [BINARY, "-c", bad], stdout=subprocess.DEVNULL,
                                   stderr=err, env=env, timeout=TIMEOUT * SLOW)
                err.seek(0)
                out = err.read()
            assert r.returncode == 1, (r, out)
            want = r"^<3>error: .*bad\.ini:3" if journal else r"^ircmini: error: .*bad\.ini:3"
            assert re.search(want, out, re.M), (journal, out)
    finally:
        shutil.rmtree(d)


def run_binary(args):
    return subprocess.run(WRAPPER + [BINARY] + args, capture_output=True, text=True,
                          timeout=TIMEOUT * SLOW)


def test_check_mode_exit_codes():
    d = tempfile.mkdtemp(prefix="ircmini-test-")
    try:
        good = os.path.join(d, "good.ini")
        with open(good, "w") as f:
            f.write(config(free_port()))
        r = run_binary(["-t", "-c", good])
        assert r.returncode == 0, r
        assert "%s: configuration OK" % good in r.stdout, r

        bad = os.path.join(d, "bad.ini")
        with open(bad, "w") as f:
            f.write("[server]\nname = irc.test\nbogus_key = 1\n")
        r = run_binary(["-t", "-c", bad])
        assert r.returncode == 1, r
        assert "%s:3: [server] bogus_key: unknown key" % bad in r.stderr, r
        assert "configuration OK" not in r.stdout, r

        with open(bad, "w") as f:
            f.write("[server]\nname = irc.test\n\n[limits]\nmax_clients = lots\n")
        r = run_binary(["-t", "-c", bad])
        assert r.returncode == 1, r
        assert '%s:5: [limits] max_clients: not a number: "lots"' % bad in r.stderr, r

        r = run_binary(["-t", "-c", os.path.join(d, "missing.ini")])
        assert r.returncode == 1 and "missing.ini: cannot open" in r.stderr, r
    finally:
        shutil.rmtree(d)


def test_check_then_reload_waits_for_the_servers_verdict():
    # the unit's ExecReload, `ircmini -t -c FILE -r $MAINPID` with systemd's
    # RUNTIME_DIRECTORY: exit 0 once the server has applied the file; 1 for
    # a bad file (the server is not even signalled) and 1 for a file the
    # server refuses (a new address already in use), which -t cannot know
    rundir = tempfile.mkdtemp(prefix="ircmini-run-")
    os.environ["RUNTIME_DIRECTORY"] = rundir
    blocker = socket.socket()
    try:
        a = free_port()
        with running(config(a), port=a) as srv:
            stay = srv.client("stay1")

            def reload_via_unit(text):
                with open(srv.conf, "w") as f:
                    f.write(text)
                return run_binary(["-t", "-c", srv.conf, "-r", str(srv.proc.pid)])

            r = reload_via_unit(config(a, motd="new motd"))
            assert r.returncode == 0, r
            # no waiting here: -r returned after the server applied it
            assert [l.split(" :- ", 1)[1] for l in motd_lines(srv.client("new1"))] == ["new motd"]

            before = count(srv, "reload")
            r = reload_via_unit(config(a, motd="bad", server_extra="bogus_key = 1\n"))
            assert r.returncode == 1 and "bogus_key" in r.stderr, r
            assert count(srv, "reload") == before, srv.stderr()

            b = free_port()
            blocker.bind(("127.0.0.1", b))
            blocker.listen()
            r = reload_via_unit(config(a, b, motd="refused motd"))
            assert r.returncode == 1 and "refused the new configuration" in r.stderr, r
            assert "cannot listen on 127.0.0.1:%d" % b in srv.stderr(), srv.stderr()
            assert [l.split(" :- ", 1)[1] for l in motd_lines(srv.client("new2"))] == ["new motd"]
            stay.sync()
    finally:
        del os.environ["RUNTIME_DIRECTORY"]
        blocker.close()
        shutil.rmtree(rundir)


def test_bad_config_at_start_exits_before_listening():
    d = tempfile.mkdtemp(prefix="ircmini-test-")
    try:
        port = free_port()
        bad = os.path.join(d, "bad.ini")
        # the listener comes first in the file: it must still not be bound
        with open(bad, "w") as f:
            f.write("[listen]\naddress = 127.0.0.1:%d\n[limits]\nping_timeout = 1\n" % port)
        r = run_binary(["-c", bad])
        assert r.returncode != 0, r
        assert "%s:4: [limits] ping_timeout: 1 out of range" % bad in r.stderr, r
        assert "listening" not in r.stderr and "started" not in r.stderr, r

        # a listener that cannot be bound: non-zero, the address named, never started
        blocker = socket.socket()
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", port))
        blocker.listen(1)
        try:
            ok = os.path.join(d, "ok.ini")
            with open(ok, "w") as f:
                f.write(config(port))
            r = run_binary(["-c", ok])
            assert r.returncode != 0, r
            assert "[listen] address: cannot listen on 127.0.0.1:%d: Address already in use" % port in r.stderr, r
            assert "started" not in r.stderr, r
        finally:
            blocker.close()
    finally:
        shutil.rmtree(d)


if __name__ == "__main__":
    run_tests(globals())

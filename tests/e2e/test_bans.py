#!/usr/bin/env python3
"""Issue 12: server bans. KLINE/UNKLINE (nick!user@host masks) and
DLINE/UNDLINE (CIDR blocks), with reasons and durations, listed by STATS
k/d, kept in the state directory across a restart and a SIGHUP; bans in
the config file; REHASH. Whole lines asserted."""
import os
import shutil
import signal
import tempfile
import time

from ircharness import TIMEOUT, WRAPPER, Client, oper_hash, running, run_tests

PASSWORD = "hunter22"


def conf(state=None, extra=""):
    """state None: the server's own temporary directory (the harness)."""
    return ("[server]\nname = irc.test\nnetwork = TestNet\n%s"
            "[operators]\nboss = %s\n%s" % ("state_directory = %s\n" % state if state else "",
                                            oper_hash(PASSWORD), extra))


def oper(srv, nick="boss"):
    o = srv.client(nick)
    o.send("OPER boss " + PASSWORD)
    o.expect(r" 381 ")
    return o


def attempt(srv, nick, user=None, source=None):
    """Register; the lines up to 001 or the ERROR that refuses it."""
    c = Client(srv.port, source=source)
    try:
        c.send("NICK " + nick)
        c.send("USER %s 0 * :x" % (user or nick))
    except OSError:
        pass
    return c, c.collect_until(r"^(ERROR |:\S+ 001 )")


def test_kline_added_matched_listed_persisted_removed():
    state = tempfile.mkdtemp(prefix="ircmini-bans-")
    try:
        with running(conf(state)) as srv:
            o = oper(srv)
            victim = srv.client("victim", user="baduser").join("#x")
            witness = srv.client("witness").join("#x")
            o.send("KLINE *!baduser@* :no bad users")
            assert o.expect(r"NOTICE boss :") == \
                ":irc.test NOTICE boss :Added K-line for *!baduser@* (permanent): no bad users"
            # a user the new ban covers is disconnected with the reason
            assert victim.expect(r" 465 ") == \
                ":irc.test 465 victim :You are banned from this server: no bad users"
            assert victim.expect(r"^ERROR") == \
                "ERROR :Closing Link: 127.0.0.1 (K-lined: no bad users)"
            witness.expect(r"^:victim!~?baduser@127\.0\.0\.1 QUIT :K-lined: no bad users$")
            # and a new one is refused before 001
            c, lines = attempt(srv, "again", user="baduser")
            assert lines[-2:] == [":irc.test 465 again :You are banned from this server: no bad users",
                                  "ERROR :Closing Link: 127.0.0.1 (K-lined: no bad users)"], lines
            assert not any(" 001 " in l for l in lines)
            # a user@host mask is a K-line on *!user@host; listing
            o.send("KLINE 10m spam@127.0.0.9 :spam")
            o.expect(r"Added K-line for \*!spam@127\.0\.0\.9 \(for 600 seconds\): spam$")
            o.send("STATS k")
            lines = o.collect_until(r" 219 ")
            assert lines[0] == ":irc.test 216 boss K *!baduser@* 0 boss :no bad users", lines
            assert lines[1].startswith(":irc.test 216 boss K *!spam@127.0.0.9 "), lines
            assert int(lines[1].split()[5]) in range(590, 601) and lines[1].endswith(" boss :spam"), lines
            assert lines[2] == ":irc.test 219 boss k :End of /STATS report", lines
            # ordinary users may not see or set them
            witness.send("STATS k")
            assert witness.expect(r" 481 ") == \
                ":irc.test 481 witness :Permission Denied- You're not an IRC operator"
            witness.send("KLINE *!*@* :everyone")
            witness.expect(r" 481 ")
        # the ban file survives a restart
        assert os.path.exists(os.path.join(state, "bans"))
        with running(conf(state)) as srv:
            c, lines = attempt(srv, "third", user="baduser")
            assert lines[-1] == "ERROR :Closing Link: 127.0.0.1 (K-lined: no bad users)", lines
            o = oper(srv)
            o.send("UNKLINE *!baduser@*")
            assert o.expect(r"NOTICE boss") == ":irc.test NOTICE boss :Removed K-line for *!baduser@*"
            o.send("UNKLINE *!baduser@*")
            assert o.expect(r"NOTICE boss") == ":irc.test NOTICE boss :No K-line for *!baduser@*"
            c, lines = attempt(srv, "fourth", user="baduser")
            assert " 001 " in lines[-1], lines
            o.send("STATS k")
            lines = o.collect_until(r" 219 ")
            assert len(lines) == 2 and " *!spam@127.0.0.9 " in lines[0], lines
    finally:
        shutil.rmtree(state)


def test_kline_expires():
    with running(conf()) as srv:
        o = oper(srv)
        # long enough that the first attempt lands inside it, even under valgrind
        secs = 8 if WRAPPER else 1
        o.send("KLINE %ds *!temp@* :cool off" % secs)
        o.expect(r"Added K-line for \*!temp@\* \(for %d seconds\): cool off$" % secs)
        t0 = time.time()
        c, lines = attempt(srv, "t1", user="temp")
        assert lines[-1] == "ERROR :Closing Link: 127.0.0.1 (K-lined: cool off)", lines
        time.sleep(max(0, secs + 0.1 - (time.time() - t0)))
        c, lines = attempt(srv, "t2", user="temp")
        assert " 001 " in lines[-1], lines
        o.send("STATS k")
        assert o.collect_until(r" 219 ") == [":irc.test 219 boss k :End of /STATS report"]


def test_dline_refuses_on_accept_and_kills():
    with running(conf()) as srv:
        o = oper(srv)
        there = Client(srv.port, source="127.0.0.3").register("there")
        o.send("DLINE 127.0.0.2/31 :bad block")
        o.expect(r"Added D-line for 127\.0\.0\.2/31 \(permanent\): bad block$")
        assert there.expect(r" 465 ") == ":irc.test 465 there :You are banned from this server: bad block"
        assert there.expect(r"^ERROR") == "ERROR :Closing Link: 127.0.0.3 (D-lined: bad block)"
        assert there.wait_closed()
        # refused on accept: the ERROR line and nothing else
        c = Client(srv.port, source="127.0.0.2")
        assert c.expect(r".") == "ERROR :Closing Link: 127.0.0.2 (D-lined: bad block)"
        assert c.wait_closed() and c.log == ["ERROR :Closing Link: 127.0.0.2 (D-lined: bad block)"]
        Client(srv.port, source="127.0.0.4").register("outside")
        o.send("DLINE 127.0.0.1/24 :typo")
        assert o.expect(r"NOTICE") == \
            ":irc.test NOTICE boss :D-line not added: 127.0.0.1/24: not an address or CIDR block"
        o.send("STATS d")
        assert o.collect_until(r" 219 ") == [
            ":irc.test 225 boss D 127.0.0.2/31 0 boss :bad block",
            ":irc.test 219 boss d :End of /STATS report"]
        o.send("UNDLINE 127.0.0.2/31")
        o.expect(r"Removed D-line for 127\.0\.0\.2/31$")
        Client(srv.port, source="127.0.0.2").register("welcome")


def test_config_bans_sighup_and_rehash():
    cfg = conf(None, "[bans]\ndline = 127.0.0.6 from the config\nkline = *!cfguser@* config says no\n")
    with running(cfg) as srv:
        c = Client(srv.port, source="127.0.0.6")
        assert c.expect(r".") == "ERROR :Closing Link: 127.0.0.6 (D-lined: from the config)"
        c, lines = attempt(srv, "cu", user="cfguser")
        assert lines[-1] == "ERROR :Closing Link: 127.0.0.1 (K-lined: config says no)", lines
        o = oper(srv)
        o.send("UNDLINE 127.0.0.6")
        assert o.expect(r"NOTICE") == (":irc.test NOTICE boss :No D-line for 127.0.0.6 that a "
                                       "command can remove: it is in the config file")
        o.send("STATS d")
        assert o.collect_until(r" 219 ")[0] == \
            ":irc.test 225 boss D 127.0.0.6 0 config:7 :from the config"
        o.send("KLINE *!opban@* :set by an operator")
        o.expect(r"Added K-line")
        # SIGHUP with the config bans gone: they go, the operator's stays
        with open(srv.conf, "w") as f:
            f.write(cfg.split("[bans]")[0] + "\n[listen]\naddress = 127.0.0.1:%d\n"
                    "[limits]\nexempt = 127.0.0.0/8\n[cloak]\nenabled = no\n" % srv.port)
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + TIMEOUT
        while srv.stderr().count("configuration reloaded") < 1:
            assert time.time() < deadline
            time.sleep(0.02)
        Client(srv.port, source="127.0.0.6").register("nowfine")
        c, lines = attempt(srv, "op1", user="opban")
        assert lines[-1] == "ERROR :Closing Link: 127.0.0.1 (K-lined: set by an operator)", lines
        # REHASH: operators only, same as SIGHUP
        w = srv.client("plain")
        w.send("REHASH")
        assert w.expect(r" 481 ") == ":irc.test 481 plain :Permission Denied- You're not an IRC operator"
        o.send("REHASH")
        assert o.expect(r" 382 ") == ":irc.test 382 boss %s :Rehashing" % srv.conf
        deadline = time.time() + TIMEOUT
        while srv.stderr().count("configuration reloaded") < 2:
            assert time.time() < deadline
            time.sleep(0.02)
        c, lines = attempt(srv, "op2", user="opban")
        assert lines[-1].startswith("ERROR :Closing Link"), lines


if __name__ == "__main__":
    run_tests(globals())

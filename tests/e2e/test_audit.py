#!/usr/bin/env python3
"""Issue 15: the security audit's findings, each proven fixed against the
real binary. Cost items assert a bound on work done, read from the
server's own counters (STATS w: matcher steps, walk lengths), never a
wall-clock time."""
import re

from ircharness import oper_hash, running, run_tests

OPER_PW = "audit-pw"
NOFLOOD = "[limits]\nflood_burst = 0\n"


def config(extra=""):
    return "[operators]\nboss = %s\n" % oper_hash(OPER_PW) + extra


def oper(c):
    c.send("OPER boss " + OPER_PW)
    c.expect(r" 381 ")
    return c


def work(c):
    """The server's work counters, from STATS w."""
    c.send("STATS w")
    line = c.expect(r" 249 \S+ w :")
    c.expect(r" 219 ")
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


# ---- item 1: WHO masks against long real names


def test_realname_is_cut_to_128_bytes():
    with running(config(NOFLOOD)) as srv:
        a = srv.client("a", realname="r" * 450)
        a.send("WHOIS a")
        line = a.expect(r" 311 ")
        assert line.endswith(" :" + "r" * 128), line
        # SETNAME too, and never inside a UTF-8 sequence (é is 2 bytes)
        a.send("SETNAME :" + "x" * 127 + "\u00e9" * 10)
        a.send("WHOIS a")
        line = a.expect(r" 311 ")
        assert line.endswith(" :" + "x" * 127), line


def test_who_still_matches_real_names():
    with running(config(NOFLOOD)) as srv:
        a = srv.client("a", realname="Alice Liddell")
        b = srv.client("b", realname="Bob")
        b.send("WHO *liddell")
        lines = b.collect_until(r" 315 ")
        assert any(" 352 b * a " in l for l in lines), lines
        assert not any(" 352 b * b " in l for l in lines), lines


def test_who_backtracking_mask_costs_linear_work():
    """The audit's mask: '*' + 225 '?' + 'Z' matches nobody; the old matcher
    spent ~(n/2)^2 steps per long real name on it. Now every name costs at
    most its length x ceil(states/64) word steps."""
    users = 20
    with running(config(NOFLOOD)) as srv:
        asker = oper(srv.client("asker"))
        cs = [srv.client("u%d" % i, realname="a" * 450) for i in range(users)]
        before = work(asker)
        asker.send("WHO *" + "?" * 225 + "Z")
        lines = asker.collect_until(r" 315 ")
        assert not any(" 352 " in l for l in lines)
        steps = work(asker)["match"] - before["match"]
        # per user: nick, user, host, server name, real name (<= 128),
        # each at most its length in bytes x 4 words (226 states)
        bound = (users + 1) * (4 * (30 + 10 + 63 + 20 + 128))
        assert 0 < steps <= bound, (steps, bound)
        for c in cs:
            c.close()


if __name__ == "__main__":
    run_tests(globals())

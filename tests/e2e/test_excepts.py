#!/usr/bin/env python3
"""Issue 12: ban exceptions (+e) and invite exceptions (+I). Set, listed
(348/349, 346/347, to channel operators only), unset; one bound with the
ban list (478); a +e entry lets a banned user join and speak, a +I entry
lets a user past +i and nothing else; with cloaks, entries match the
cloaked host and never the address. Whole lines throughout."""
import re

from ircharness import running, run_tests

S = r"^:irc\.test "
NOFLOOD = "[limits]\nflood_burst = 0\n"


def num(code, nick, rest):
    return S + "%s %s %s$" % (code, re.escape(nick), rest)


def src(nick, host="127.0.0.1"):
    return r"^:%s!%s@%s " % (re.escape(nick), re.escape(nick), re.escape(host))


def reply(c, line, end):
    c.send(line)
    return c.collect_until(end)


def none(c, rx):
    got = c.sync()[:-1]
    bad = [l for l in got if re.search(rx, l)]
    assert not bad, "unexpected lines matching /%s/: %s" % (rx, bad)


def isupport(c):
    c.send("VERSION")
    toks = {}
    for l in c.sync():
        if " 005 " in l:
            for t in l.split(" :", 1)[0].split()[3:]:
                k, _, v = t.partition("=")
                toks[k] = v
    return toks


def test_isupport_tokens():
    with running(NOFLOOD) as srv:
        a = srv.client("alice")
        t = isupport(a)
        assert t["CHANMODES"] == "beI,k,l,imnpst", t
        assert t["EXCEPTS"] == "e" and t["INVEX"] == "I", t
        assert t["MAXLIST"] == "beI:60", t


def check_list(srv, letter, entry, end, end_text):
    """+letter set, listed (twice: with and without the sign), refused to a
    non-op, duplicates and absent removals silent, unset."""
    a = srv.client("alice").join("#c")
    b = srv.client("bob").join("#c")
    a.sync()
    lines = reply(a, "MODE #c " + letter, " %d " % end)
    assert lines == [":irc.test %d alice #c :%s" % (end, end_text)], lines
    a.send("MODE #c +%s%s carol *@host.test" % (letter, letter))
    rx = src("alice") + r"MODE #c \+%s%s carol!\*@\* \*!\*@host\.test$" % (letter, letter)
    a.expect(rx)
    b.expect(rx)
    for query in ("MODE #c " + letter, "MODE #c +" + letter):
        lines = reply(a, query, " %d " % end)
        assert len(lines) == 3, lines
        got = sorted(lines[:2])
        assert re.match(num(entry, "alice", r"#c \*!\*@host\.test alice \d+"), got[0]), got
        assert re.match(num(entry, "alice", r"#c carol!\*@\* alice \d+"), got[1]), got
        assert lines[2] == ":irc.test %d alice #c :%s" % (end, end_text), lines
    # a list asked for twice in one MODE is sent once
    lines = reply(a, "MODE #c %s%s" % (letter, letter), " %d " % end)
    assert len(lines) == 3, lines
    none(a, " %d " % end)
    # not an op: neither the list nor a change
    b.send("MODE #c " + letter)
    b.expect(num(482, "bob", "#c :You're not channel operator"))
    b.send("MODE #c +%s dave" % letter)
    b.expect(num(482, "bob", "#c :You're not channel operator"))
    none(b, " %d | %d " % (entry, end))
    # an entry already there, or one not there to remove: no line
    a.send("MODE #c +%s CAROL" % letter)
    a.send("MODE #c -%s nobody" % letter)
    none(a, "MODE")
    a.send("MODE #c -%s carol" % letter)
    for x in (a, b):
        x.expect(src("alice") + r"MODE #c -%s carol!\*@\*$" % letter)
    lines = reply(a, "MODE #c " + letter, " %d " % end)
    assert len(lines) == 2 and "carol" not in lines[0], lines


def test_exception_list_set_listed_unset():
    with running(NOFLOOD) as srv:
        check_list(srv, "e", 348, 349, "End of Channel Exception List")


def test_invite_exception_list_set_listed_unset():
    with running(NOFLOOD) as srv:
        check_list(srv, "I", 346, 347, "End of Channel Invite List")


def test_three_lists_share_one_bound():
    with running(NOFLOOD + "max_bans = 3\n") as srv:
        a = srv.client("alice").join("#c")
        assert isupport(a)["MAXLIST"] == "beI:3"
        a.send("MODE #c +beI x y z")
        a.expect(src("alice") + r"MODE #c \+beI x!\*@\* y!\*@\* z!\*@\*$")
        for letter, name in (("b", "ban"), ("e", "exception"), ("I", "invite exception")):
            a.send("MODE #c +%s w" % letter)
            a.expect(num(478, "alice", r"#c w!\*@\* :Channel %s list is full" % name))
        none(a, "MODE")
        # room again after a removal, for any of the three
        a.send("MODE #c -b+I x w")
        a.expect(src("alice") + r"MODE #c -b\+I x!\*@\* w!\*@\*$")


def test_exception_lets_a_banned_user_join_and_speak():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#c")
        b = srv.client("bob").join("#c")
        a.sync()
        a.send("MODE #c +b *!*@127.0.0.1")
        b.expect(r"MODE #c \+b ")
        c = srv.client("carol")
        c.send("JOIN #c")
        c.expect(num(474, "carol", r"#c :Cannot join channel \(\+b\)"))
        b.send("PRIVMSG #c :banned")
        b.expect(num(404, "bob", "#c :Cannot send to channel"))
        a.send("MODE #c +ee carol bob")
        b.expect(src("alice") + r"MODE #c \+ee carol!\*@\* bob!\*@\*$")
        c.send("JOIN #c")
        c.expect(num(366, "carol", "#c :End of /NAMES list"))
        b.send("PRIVMSG #c :excepted")
        a.expect(src("bob") + "PRIVMSG #c :excepted$")
        # the exception goes: banned again
        a.send("MODE #c -e bob")
        b.expect(src("alice") + r"MODE #c -e bob!\*@\*$")
        b.send("PRIVMSG #c :again")
        b.expect(num(404, "bob", "#c :Cannot send to channel"))
        none(a, "again")


def test_invite_exception_lifts_only_invite_only():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#c")
        a.send("MODE #c +iI dave!*@*")
        a.expect(src("alice") + r"MODE #c \+iI dave!\*@\*$")
        e = srv.client("eve")
        e.send("JOIN #c")
        e.expect(num(473, "eve", r"#c :Cannot join channel \(\+i\)"))
        d = srv.client("dave")
        d.join("#c")
        d.send("PART #c")
        d.expect(r"PART #c")
        # +I is no ban exception, no key and no room past +l; and once
        # -I, dave is an outsider to +i like eve
        for change, shown, code, mode in (("+b dave", r"\+b dave!\*@\*", 474, "b"),
                                           ("-b+k dave sesame", r"-b\+k dave!\*@\* sesame", 475, "k"),
                                           ("-k+l * 1", r"-k\+l \* 1", 471, "l"),
                                           ("-l-I dave", r"-lI dave!\*@\*", 473, "i")):
            a.send("MODE #c " + change)
            a.expect(r"MODE #c %s$" % shown)
            d.send("JOIN #c")
            d.expect(num(code, "dave", r"#c :Cannot join channel \(\+%s\)" % mode))


CLOAKED = "[cloak]\nenabled = yes\nsecret = excepts-secret-0123\n[limits]\nexempt = 127.0.0.0/8\nflood_burst = 0\n"


def test_exceptions_match_the_cloak_never_the_address():
    with running(CLOAKED) as srv:
        a = srv.client("alice").join("#c")
        x = srv.client("xavier")
        x.send("WHOIS xavier")
        host = x.expect(r" 311 ").split()[5]
        assert "127.0.0" not in host, host
        a.send("MODE #c +ib *!*@*")
        a.expect(r"MODE #c \+ib \*!\*@\*$")
        # the address matches nothing: still banned, still not invited
        a.send("MODE #c +eI *!*@127.0.0.1 *!*@127.0.0.*")
        a.expect(r"MODE #c \+eI \*!\*@127\.0\.0\.1 \*!\*@127\.0\.0\.\*$")
        x.send("JOIN #c")
        x.expect(num(473, "xavier", r"#c :Cannot join channel \(\+i\)"))
        # the cloak lets xavier past +i, then the ban stops him
        a.send("MODE #c +I *!*@" + host)
        a.expect(r"MODE #c \+I ")
        x.send("JOIN #c")
        x.expect(num(474, "xavier", r"#c :Cannot join channel \(\+b\)"))
        # and its readable suffix lets him past the ban
        a.send("MODE #c +e *!*@*." + host.split(".", 1)[1])
        a.expect(r"MODE #c \+e ")
        x.send("JOIN #c")
        x.expect(num(366, "xavier", "#c :End of /NAMES list"))


if __name__ == "__main__":
    run_tests(globals())

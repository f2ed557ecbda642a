#!/usr/bin/env python3
"""End-to-end tests of the everyday command set (issue 3, "Commands"):
TOPIC, NAMES, LIST, WHOIS, WHOWAS, WHO/WHOX, channel and user MODE,
KICK, INVITE, AWAY, USERHOST, ISON, server queries, PING, OPER, KILL,
WALLOPS. Several clients at once; numerics and their parameters are
matched as whole lines."""
import re
import time

from ircharness import Client, oper_hash, running, run_tests

S = r"^:irc\.test "          # every numeric's source
H = "127.0.0.1"              # every test client's host


def num(code, nick, rest):
    """Regex for one whole numeric line: ':irc.test CODE nick REST'."""
    return S + "%s %s %s$" % (code, re.escape(nick), rest)


def src(nick):
    """Regex for a user's source prefix nick!nick@127.0.0.1."""
    return r"^:%s!%s@127\.0\.0\.1 " % (re.escape(nick), re.escape(nick))


def reply(c, line, end):
    """Send `line`, return every reply line up to the one matching `end`."""
    c.send(line)
    return c.collect_until(end)


def none(c, rx):
    """Assert c got no line matching rx: a PING round trip proves the server
    has sent everything it was going to (instead of waiting for silence)."""
    got = c.sync()[:-1]
    bad = [l for l in got if re.search(rx, l)]
    assert not bad, "unexpected lines matching /%s/:\n  %s" % (rx, "\n  ".join(bad))


def has(lines, rx):
    return any(re.search(rx, l) for l in lines)


def isupport(c):
    c.send("VERSION")
    lines = c.sync()
    toks = {}
    for l in lines:
        if " 005 " not in l:
            continue
        for t in l.split(" :", 1)[0].split()[3:]:
            k, _, v = t.partition("=")
            toks[k] = v
    return toks


# Flood control is tested elsewhere; here a client sends dozens of
# commands back to back and must not be slowed down by it.
NOFLOOD = "[limits]\nflood_burst = 0\n"


def op_config():
    return NOFLOOD + "[operators]\nboss = %s\n" % oper_hash("secret")


# ---------------------------------------------------------------- TOPIC

def test_topic_query_set_broadcast_and_t_mode():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#t")
        b = srv.client("bob").join("#t")
        o = srv.client("out")
        a.sync()
        b.send("TOPIC #t")
        b.expect(num(331, "bob", "#t :No topic is set"))
        b.send("TOPIC #t :from bob")            # +t is on by default
        b.expect(num(482, "bob", "#t :You're not channel operator"))
        a.send("TOPIC #t :First topic")
        a.expect(src("alice") + "TOPIC #t :First topic$")
        b.expect(src("alice") + "TOPIC #t :First topic$")
        none(o, "TOPIC")
        b.send("TOPIC #T")
        b.expect(num(332, "bob", "#t :First topic"))
        line = b.expect(num(333, "bob", r"#t alice!alice@127\.0\.0\.1 (\d+)"))
        assert abs(int(line.split()[-1]) - time.time()) < 60, line
        o.send("TOPIC #t")                       # outsider may read a public topic
        o.expect(num(332, "out", "#t :First topic"))
        o.send("TOPIC #t :outside")
        o.expect(num(442, "out", "#t :You're not on that channel"))
        o.send("TOPIC #nowhere")
        o.expect(num(403, "out", "#nowhere :No such channel"))
        o.send("TOPIC")
        o.expect(num(461, "out", "TOPIC :Not enough parameters"))
        # -t lets any member set it
        a.send("MODE #t -t")
        b.expect(src("alice") + "MODE #t -t$")
        b.send("TOPIC #t :bob's topic now")
        a.expect(src("bob") + "TOPIC #t :bob's topic now$")
        b.expect(src("bob") + "TOPIC #t :bob's topic now$")
        # longer than TOPICLEN (390 by default): cut, the same for everyone
        b.send("TOPIC #t :" + "x" * 400)
        a.expect(src("bob") + "TOPIC #t :" + "x" * 390 + "$")
        b.expect(src("bob") + "TOPIC #t :" + "x" * 390 + "$")
        # an empty topic clears it
        b.send("TOPIC #t :")
        a.expect(src("bob") + "TOPIC #t :$")
        a.send("TOPIC #t")
        a.expect(num(331, "alice", "#t :No topic is set"))


# ---------------------------------------------------------------- NAMES

def test_names_with_and_without_channel_hiding():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#pub")
        b = srv.client("bob").join("#pub")
        inv = srv.client("ghost")
        inv.send("MODE ghost +i")
        inv.expect(r"^:ghost!\S+ MODE ghost :\+i$")
        inv.join("#pub")
        s = srv.client("sec").join("#hidden")
        s.send("MODE #hidden +s")
        s.expect(r"MODE #hidden \+s$")
        o = srv.client("out")
        a.sync()

        # a member sees everyone, invisible included
        lines = reply(a, "NAMES #pub", r" 366 ")
        names = [l for l in lines if " 353 " in l]
        assert len(names) == 1 and re.match(num(353, "alice", "= #pub :(.*)"), names[0]), lines
        assert sorted(names[0].split(":", 2)[2].split()) == ["@alice", "bob", "ghost"], names
        assert re.match(num(366, "alice", "#pub :End of /NAMES list"), lines[-1]), lines

        # an outsider does not see the invisible member
        lines = reply(o, "NAMES #pub", r" 366 ")
        nl = [l for l in lines if " 353 " in l]
        assert sorted(nl[0].split(":", 2)[2].split()) == ["@alice", "bob"], lines

        # secret channel: only 366 for an outsider, "@" symbol for a member
        lines = reply(o, "NAMES #hidden", r" 366 ")
        assert lines == [":irc.test 366 out #hidden :End of /NAMES list"], lines
        s.send("NAMES #hidden")
        s.expect(num(353, "sec", "@ #hidden :@sec"))
        s.expect(num(366, "sec", "#hidden :End of /NAMES list"))

        # unknown channel and a comma list
        # (issue 12: the 353s of each, then one 366 naming the list)
        lines = reply(o, "NAMES #nope,#pub", r" 366 out #nope,#pub ")
        assert [l.split()[1] for l in lines] == ["353", "366"], lines
        assert lines[0].startswith(":irc.test 353 out = #pub :"), lines

        # no argument: every visible channel, then one final 366 *
        lines = reply(o, "NAMES", r" 366 out \* ")
        assert has(lines, num(353, "out", "= #pub :.*@alice")), lines
        assert not has(lines, "#hidden"), lines
        assert re.match(num(366, "out", r"\* :End of /NAMES list"), lines[-1]), lines
        lines = reply(s, "NAMES", r" 366 sec \* ")
        assert has(lines, num(353, "sec", "@ #hidden :@sec")), lines


# ---------------------------------------------------------------- LIST

def test_list_all_and_by_name_hides_secret_private():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#one")
        a.send("TOPIC #one :the first")
        a.expect("TOPIC #one")
        b = srv.client("bob").join("#one").join("#two")
        s = srv.client("sec").join("#sec").join("#priv")
        s.send("MODE #sec +s")
        s.send("MODE #priv +p")
        s.expect(r"MODE #priv \+p$")
        o = srv.client("out")

        lines = reply(o, "LIST", r" 323 ")
        assert re.match(num(321, "out", "Channel :Users  Name"), lines[0]), lines
        assert re.match(num(323, "out", ":End of /LIST"), lines[-1]), lines
        body = sorted(l for l in lines if " 322 " in l)
        assert body == [":irc.test 322 out #one 2 :the first",
                        ":irc.test 322 out #two 1 :"], lines

        lines = reply(o, "LIST #two,#sec,#priv,#nope", r" 323 ")
        assert [l for l in lines if " 322 " in l] == [":irc.test 322 out #two 1 :"], lines
        assert " 321 " in lines[0], lines

        # members see their own secret/private channels
        lines = reply(s, "LIST", r" 323 ")
        body = sorted(l for l in lines if " 322 " in l)
        assert ":irc.test 322 sec #sec 1 :" in body and ":irc.test 322 sec #priv 1 :" in body, body
        lines = reply(s, "LIST #sec", r" 323 ")
        assert [l for l in lines if " 322 " in l] == [":irc.test 322 sec #sec 1 :"], lines


# ---------------------------------------------------------------- WHOIS

def test_whois_full_and_errors():
    with running(op_config()) as srv:
        a = srv.client("alice", realname="Alice Real").join("#c").join("#d")
        b = srv.client("bob").join("#c")
        s = srv.client("sec").join("#s")
        s.send("MODE #s +s")
        s.expect(r"MODE #s \+s")
        a.send("JOIN #s")
        a.expect(" 366 alice #s ")
        a.send("AWAY :out to lunch")
        a.expect(num(306, "alice", ":You have been marked as being away"))
        a.send("OPER boss secret")
        a.expect(num(381, "alice", ":You are now an IRC operator"))
        b.sync()

        lines = reply(b, "WHOIS alice", r" 318 ")
        got = [l.split()[1] for l in lines]
        assert got == ["311", "319", "312", "301", "313", "317", "318"], lines
        assert re.match(num(311, "bob", r"alice alice 127\.0\.0\.1 \* :Alice Real"), lines[0])
        chans = lines[1].split(" :", 1)[1].split()
        assert sorted(chans) == ["@#c", "@#d"], lines[1]   # #s is secret: hidden from bob
        assert re.match(num(312, "bob", r"alice irc\.test :.*"), lines[2]), lines[2]
        assert re.match(num(301, "bob", "alice :out to lunch"), lines[3]), lines[3]
        assert re.match(num(313, "bob", "alice :is an IRC operator"), lines[4]), lines[4]
        m = re.match(num(317, "bob", r"alice (\d+) (\d+) :seconds idle, signon time"), lines[5])
        assert m and int(m.group(1)) < 60 and abs(int(m.group(2)) - time.time()) < 60, lines[5]
        assert re.match(num(318, "bob", "alice :End of /WHOIS list"), lines[6]), lines[6]

        # a member of the secret channel sees it
        lines = reply(s, "WHOIS alice", r" 318 ")
        chans = [l for l in lines if " 319 " in l][0].split(" :", 1)[1].split()
        assert sorted(chans) == ["#s", "@#c", "@#d"], chans

        # unknown: 401 then 318 with the nick as sent
        lines = reply(b, "WHOIS Nobody", r" 318 ")
        assert lines == [":irc.test 401 bob Nobody :No such nick/channel",
                         ":irc.test 318 bob Nobody :End of /WHOIS list"], lines

        # comma list: each target in turn, one 318 echoing the whole list
        lines = reply(b, "WHOIS sec,nobody,bob", r" 318 ")
        # sec's only channel is secret: no 319 for sec; bob's own address
        # (378) only in bob's own WHOIS
        assert [l.split()[1] for l in lines] == ["311", "312", "317", "401",
                                                  "311", "319", "312", "378", "317", "318"], lines
        assert lines[7] == ":irc.test 378 bob bob :is connecting from *@127.0.0.1 127.0.0.1", lines[7]
        assert lines[0].startswith(":irc.test 311 bob sec sec 127.0.0.1 * :"), lines[0]
        assert lines[3] == ":irc.test 401 bob nobody :No such nick/channel", lines[3]
        assert lines[-1] == ":irc.test 318 bob sec,nobody,bob :End of /WHOIS list", lines[-1]

        # "WHOIS <server> <nick>" (irssi's /wii sends "WHOIS nick nick") and lower case
        lines = reply(b, "WHOIS irc.test sec", r" 318 ")
        assert lines[0].startswith(":irc.test 311 bob sec "), lines
        assert lines[-1] == ":irc.test 318 bob sec :End of /WHOIS list", lines
        lines = reply(b, "WHOIS sec sec", r" 318 ")
        assert lines[0].startswith(":irc.test 311 bob sec "), lines
        b.send("whois sec")                          # HexChat sends it lower case
        b.expect(num(311, "bob", r"sec sec 127\.0\.0\.1 \* :Test User"))
        b.expect(num(318, "bob", "sec :End of /WHOIS list"))
        b.send("WHOIS")
        b.expect(num(461, "bob", "WHOIS :Not enough parameters"))
        # a user in no channel: no 319 at all
        o = srv.client("lonely")
        lines = reply(b, "WHOIS lonely", r" 318 ")
        assert [l.split()[1] for l in lines] == ["311", "312", "317", "318"], lines
        o.close()


# ---------------------------------------------------------------- WHOWAS

def test_whowas_after_nick_change_and_quit():
    with running(NOFLOOD) as srv:
        a = srv.client("alice", realname="Alice Real")
        q = srv.client("quitter", realname="Gone Soon")
        a.send("NICK alicia")
        a.expect(src("alice") + "NICK :alicia$")
        q.send("QUIT :bye")
        assert q.wait_closed()
        o = srv.client("obs")

        lines = reply(o, "WHOWAS alice", r" 369 ")
        assert [l.split()[1] for l in lines] == ["314", "312", "369"], lines
        assert lines[0] == ":irc.test 314 obs alice alice 127.0.0.1 * :Alice Real", lines[0]
        assert re.match(num(312, "obs", r"alice irc\.test :.+"), lines[1]), lines[1]
        assert lines[2] == ":irc.test 369 obs alice :End of WHOWAS", lines[2]

        lines = reply(o, "WHOWAS QUITTER", r" 369 ")
        assert lines[0] == ":irc.test 314 obs quitter quitter 127.0.0.1 * :Gone Soon", lines
        assert lines[-1] == ":irc.test 369 obs QUITTER :End of WHOWAS", lines

        lines = reply(o, "WHOWAS neverseen", r" 369 ")
        assert lines == [":irc.test 406 obs neverseen :There was no such nickname",
                         ":irc.test 369 obs neverseen :End of WHOWAS"], lines

        # several entries, newest first; the count parameter limits them
        a.send("NICK alice")
        a.expect("NICK :alice$")
        a.send("NICK alicia2")
        a.expect("NICK :alicia2$")
        a.sync()
        lines = reply(o, "WHOWAS alice", r" 369 ")
        assert len([l for l in lines if " 314 " in l]) == 2, lines
        lines = reply(o, "WHOWAS alice 1", r" 369 ")
        assert len([l for l in lines if " 314 " in l]) == 1, lines
        o.send("WHOWAS")
        o.expect(num(461, "obs", "WHOWAS :Not enough parameters"))


# ---------------------------------------------------------------- WHO / WHOX

def test_who_channel_nick_mask_flags():
    with running(op_config()) as srv:
        a = srv.client("alice", realname="Alice Real").join("#w")
        b = srv.client("bob").join("#w")
        g = srv.client("ghost")
        g.send("MODE ghost +i")
        g.expect(r"MODE ghost :\+i")
        g.join("#w")
        a.send("MODE #w +v bob")
        a.expect(r"MODE #w \+v bob$")
        b.send("AWAY :brb")
        b.expect(" 306 ")
        a.send("OPER boss secret")
        a.expect(" 381 ")
        o = srv.client("out")
        a.sync()

        lines = reply(a, "WHO #w", r" 315 ")
        body = sorted(l for l in lines if " 352 " in l)
        assert body == sorted([
            ":irc.test 352 alice #w alice 127.0.0.1 irc.test alice H*@ :0 Alice Real",
            ":irc.test 352 alice #w bob 127.0.0.1 irc.test bob G+ :0 Test User",
            ":irc.test 352 alice #w ghost 127.0.0.1 irc.test ghost H :0 Test User",
        ]), lines
        assert lines[-1] == ":irc.test 315 alice #w :End of /WHO list", lines[-1]

        # outsider: invisible members are left out
        lines = reply(o, "WHO #w", r" 315 ")
        assert sorted(l.split()[7] for l in lines if " 352 " in l) == ["alice", "bob"], lines

        # by nick: channel field '*'
        lines = reply(o, "WHO bob", r" 315 ")
        assert lines == [":irc.test 352 out * bob 127.0.0.1 irc.test bob G :0 Test User",
                         ":irc.test 315 out bob :End of /WHO list"], lines

        # by mask: nick glob, host glob; invisible users only for those sharing a channel
        lines = reply(o, "WHO a*", r" 315 ")
        assert [l.split()[7] for l in lines if " 352 " in l] == ["alice"], lines
        assert lines[-1] == ":irc.test 315 out a* :End of /WHO list", lines
        lines = reply(o, "WHO 127.0.*", r" 315 ")
        assert sorted(l.split()[7] for l in lines if " 352 " in l) == ["alice", "bob", "out"], lines
        lines = reply(b, "WHO 127.0.*", r" 315 ")
        assert sorted(l.split()[7] for l in lines if " 352 " in l) == \
            ["alice", "bob", "ghost", "out"], lines
        lines = reply(o, "WHO nomatch*", r" 315 ")
        assert lines == [":irc.test 315 out nomatch* :End of /WHO list"], lines
        lines = reply(o, "WHO #nochannel", r" 315 ")
        assert lines == [":irc.test 315 out #nochannel :End of /WHO list"], lines
        # the "o" flag: operators only
        lines = reply(o, "WHO * o", r" 315 ")
        assert [l.split()[7] for l in lines if " 352 " in l] == ["alice"], lines


def test_who_multi_prefix_shows_all_prefixes():
    with running(NOFLOOD) as srv:
        c = srv.client()
        c.send("CAP LS 302")
        c.send("NICK mp")
        c.send("USER mp 0 * :Multi")
        c.send("CAP REQ :multi-prefix")
        c.expect("ACK :multi-prefix")
        c.send("CAP END")
        c.collect_until(r" (376|422) ")
        c.join("#m")
        c.send("MODE #m +v mp")
        c.expect(r"MODE #m \+v mp$")
        c.send("WHO #m")
        c.expect(num(352, "mp", r"#m mp 127\.0\.0\.1 irc\.test mp H@\+ :0 Multi"))
        c.send("NAMES #m")
        c.expect(num(353, "mp", r"= #m :@\+mp"))
        c.send("WHO #m %tcuhnfdar,743")
        c.expect(num(354, "mp", r"743 #m mp 127\.0\.0\.1 mp H@\+ 0 0 :Multi"))
        # a client without the cap sees only the highest prefix
        p = srv.client("plain").join("#m")
        p.send("WHO #m")
        p.expect(num(352, "plain", r"#m mp 127\.0\.0\.1 irc\.test mp H@ :0 Multi"))
        p.send("NAMES #m")
        p.expect(num(353, "plain", "= #m :.*@mp"))


def test_whox_formats_of_irssi_hexchat_weechat():
    with running(NOFLOOD) as srv:
        a = srv.client("irssi1", realname="Irssi Tester").join("#test")
        h = srv.client("hexchat1", realname="HexChat Tester").join("#test")
        w = srv.client("weechat1", realname="WeeChat Tester").join("#test")
        a.sync()
        assert "WHOX" in isupport(a)

        lines = reply(a, "WHO #test %tcuhnfdar,743", r" 315 ")
        assert sorted(l for l in lines if " 354 " in l) == sorted([
            ":irc.test 354 irssi1 743 #test irssi1 127.0.0.1 irssi1 H@ 0 0 :Irssi Tester",
            ":irc.test 354 irssi1 743 #test hexchat1 127.0.0.1 hexchat1 H 0 0 :HexChat Tester",
            ":irc.test 354 irssi1 743 #test weechat1 127.0.0.1 weechat1 H 0 0 :WeeChat Tester",
        ]), lines
        assert lines[-1] == ":irc.test 315 irssi1 #test :End of /WHO list", lines

        # HexChat: t c u h s n f a r (fields always in the canonical order)
        lines = reply(h, "WHO #test %chtsunfra,152", r" 315 ")
        assert ":irc.test 354 hexchat1 152 #test hexchat1 127.0.0.1 irc.test hexchat1 H 0 " \
               ":HexChat Tester" in lines, lines
        assert ":irc.test 354 hexchat1 152 #test irssi1 127.0.0.1 irc.test irssi1 H@ 0 " \
               ":Irssi Tester" in lines, lines

        # WeeChat: no token
        lines = reply(w, "WHO #test %cuhsnfdar", r" 315 ")
        assert ":irc.test 354 weechat1 #test weechat1 127.0.0.1 irc.test weechat1 H 0 0 " \
               ":WeeChat Tester" in lines, lines
        assert len([l for l in lines if " 354 " in l]) == 3, lines
        assert not has(lines, " 352 "), lines

        # WHOX on a nick: channel '*'
        w.send("WHO irssi1 %cuhsnfdar")
        w.expect(num(354, "weechat1", r"\* irssi1 127\.0\.0\.1 irc\.test irssi1 H 0 0 :Irssi Tester"))
        w.expect(num(315, "weechat1", "irssi1 :End of /WHO list"))


# ---------------------------------------------------------------- channel MODE

def test_mode_query_and_005_tokens_match_implementation():
    with running(NOFLOOD) as srv:
        r = srv.client()
        r.send("NICK raw")
        r.send("USER raw 0 * :Raw")
        r.expect(num("004", "raw", r"irc\.test ircmini-\S+ iow beIiklmnopstv beIklov"))
        a = srv.client("alice").join("#q")
        o = srv.client("out")
        toks = isupport(a)
        assert toks["CHANMODES"] == "beI,k,l,imnpst", toks
        assert toks["PREFIX"] == "(ov)@+", toks
        assert toks["MODES"] == "6", toks
        lines = reply(a, "MODE #q", r" 329 ")
        assert lines[0] == ":irc.test 324 alice #q +nt", lines
        assert re.match(num(329, "alice", r"#q \d+"), lines[1]), lines
        assert abs(int(lines[1].split()[-1]) - time.time()) < 60, lines
        # every advertised letter is accepted, anything else is 472
        a.send("MODE #q +k key")
        a.expect(src("alice") + r"MODE #q \+k key$")
        a.send("MODE #q +l 10")
        a.expect(src("alice") + r"MODE #q \+l 10$")
        # a non-member sees the key hidden
        lines = reply(o, "MODE #q", r" 329 ")
        assert lines[0] == ":irc.test 324 out #q +ntkl * 10", lines
        a.send("MODE #q +imps")
        a.expect(src("alice") + r"MODE #q \+imps$")
        a.send("MODE #q +b x!*@*")
        a.expect(src("alice") + r"MODE #q \+b x!\*@\*$")
        a.send("MODE #q +ov alice alice")
        a.expect(src("alice") + r"MODE #q \+v alice$")   # already op: only +v is a change
        lines = reply(a, "MODE #q", r" 329 ")
        assert lines[0] == ":irc.test 324 alice #q +imnpstkl key 10", lines
        # +s/+p: to a non-member it is no channel at all (issue 15)
        o.send("MODE #q")
        o.expect(num(403, "out", "#q :No such channel"))
        for ch in "ahjqrzRCST":
            a.send("MODE #q +%s" % ch)
            a.expect(num(472, "alice", re.escape(ch) + " :is unknown mode char to me.*"))
        a.send("MODE #nochan +m")
        a.expect(num(403, "alice", "#nochan :No such channel"))
        a.send("MODE")
        a.expect(num(461, "alice", "MODE :Not enough parameters"))


def test_mode_ops_voice_moderated_and_broadcast_one_line():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#m")
        b = srv.client("bob").join("#m")
        c = srv.client("carol").join("#m")
        o = srv.client("out")
        a.sync()
        b.sync()
        c.sync()

        # several modes in one command: one MODE line to every member
        a.send("MODE #m +mo-t+v bob carol")
        want = src("alice") + r"MODE #m \+mo-t\+v bob carol$"
        for x in (a, b, c):
            x.expect(want)
            none(x, "MODE")
        none(o, "MODE")
        lines = reply(c, "NAMES #m", " 366 ")
        names = sorted(lines[0].split(" :", 1)[1].split())
        assert names == ["+carol", "@alice", "@bob"], lines

        # +m: voiced and ops speak, others get 404
        d = srv.client("dave").join("#m")
        d.send("PRIVMSG #m :can I talk")
        d.expect(num(404, "dave", "#m :Cannot send to channel"))
        c.send("PRIVMSG #m :voiced")
        d.expect(src("carol") + "PRIVMSG #m :voiced$")
        b.send("PRIVMSG #m :op")
        d.expect(src("bob") + "PRIVMSG #m :op$")
        none(a, "can I talk")

        # -o/-v, and non-ops get 482 for every change
        a.send("MODE #m -o+v bob dave")
        for x in (a, b, c, d):
            x.expect(src("alice") + r"MODE #m -o\+v bob dave$")
        d.send("PRIVMSG #m :now voiced")
        a.expect(src("dave") + "PRIVMSG #m :now voiced$")
        a.send("MODE #m -v carol")
        a.expect(src("alice") + "MODE #m -v carol$")
        c.expect(src("alice") + "MODE #m -v carol$")
        c.send("PRIVMSG #m :muted")
        c.expect(num(404, "carol", "#m :Cannot send to channel"))
        c.send("MODE #m -m")
        c.expect(num(482, "carol", "#m :You're not channel operator"))
        c.send("MODE #m +o carol")
        c.expect(num(482, "carol", "#m :You're not channel operator"))
        none(a, "MODE")
        # errors for the nick of +o/+v
        a.send("MODE #m +o nobody")
        a.expect(num(401, "alice", "nobody :No such nick/channel"))
        a.send("MODE #m +v out")
        a.expect(num(441, "alice", "out #m :They aren't on that channel"))
        # a mode that is already set is no change: no line at all
        a.send("MODE #m +m")
        a.send("MODE #m +o alice")
        none(a, "MODE")


def test_mode_limit_six_parameter_modes_per_line():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#six")
        nicks = ["u%d" % i for i in range(8)]
        users = [srv.client(n).join("#six") for n in nicks]
        a.sync()
        a.send("MODE #six +vvvvvvvv " + " ".join(nicks))
        line = a.expect(src("alice") + "MODE #six ")
        assert line.endswith("MODE #six +vvvvvv u0 u1 u2 u3 u4 u5"), line
        none(a, "MODE")
        lines = reply(a, "NAMES #six", " 366 ")
        names = set(" ".join(l.split(" :", 1)[1] for l in lines if " 353 " in l).split())
        assert "+u5" in names and "u6" in names and "u7" in names, names


def test_mode_t_and_n():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#n")
        b = srv.client("bob").join("#n")
        o = srv.client("out")
        o.send("PRIVMSG #n :from outside")
        o.expect(num(404, "out", "#n :Cannot send to channel"))
        a.send("MODE #n -n")
        b.expect(src("alice") + "MODE #n -n$")
        o.send("PRIVMSG #n :from outside now")
        b.expect(src("out") + "PRIVMSG #n :from outside now$")
        a.send("MODE #n +n")
        b.expect(src("alice") + r"MODE #n \+n$")
        o.send("PRIVMSG #n :again")
        o.expect(num(404, "out", "#n :Cannot send to channel"))
        b.send("TOPIC #n :x")
        b.expect(num(482, "bob", "#n :You're not channel operator"))
        a.send("MODE #n -t")
        b.expect("MODE #n -t$")
        b.send("TOPIC #n :x")
        b.expect(src("bob") + "TOPIC #n :x$")
        a.send("MODE #n +t")
        b.expect(r"MODE #n \+t$")
        b.send("TOPIC #n :y")
        b.expect(num(482, "bob", "#n :You're not channel operator"))


def test_mode_invite_only_and_invite():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#i")
        b = srv.client("bob").join("#i")
        c = srv.client("carol")
        a.send("MODE #i +i")
        b.expect(src("alice") + r"MODE #i \+i$")
        c.send("JOIN #i")
        c.expect(num(473, "carol", "#i :Cannot join channel \\(\\+i\\)"))
        # non-op may not invite on +i
        b.send("INVITE carol #i")
        b.expect(num(482, "bob", "#i :You're not channel operator"))
        a.send("INVITE carol #i")
        a.expect(num(341, "alice", "carol #i"))
        c.expect(src("alice") + "INVITE carol :#i$")
        none(b, "INVITE")             # other members are not told
        c.send("JOIN #i")
        c.expect(src("carol") + "JOIN #i$")
        b.expect(src("carol") + "JOIN #i$")
        c.expect(" 366 carol #i ")
        # the invitation is used up
        c.send("PART #i")
        c.expect("PART #i")
        c.send("JOIN #i")
        c.expect(num(473, "carol", "#i :Cannot join channel \\(\\+i\\)"))
        a.send("MODE #i -i")
        b.expect(r"MODE #i -i$")
        c.join("#i")


def test_invite_errors_and_away():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#v")
        b = srv.client("bob").join("#v")
        c = srv.client("carol")
        c.send("AWAY :sleeping")
        c.expect(" 306 ")
        a.send("INVITE bob #v")
        a.expect(num(443, "alice", "bob #v :is already on channel"))
        a.send("INVITE nobody #v")
        a.expect(num(401, "alice", "nobody :No such nick/channel"))
        a.send("INVITE carol #novo")
        a.expect(num(403, "alice", "#novo :No such channel"))
        c.send("INVITE bob #v")
        c.expect(num(442, "carol", "#v :You're not on that channel"))
        a.send("INVITE carol")
        a.expect(num(461, "alice", "INVITE :Not enough parameters"))
        # on a -i channel any member may invite; away invitee gives 301
        b.send("INVITE carol #v")
        b.expect(num(341, "bob", "carol #v"))
        b.expect(num(301, "bob", "carol :sleeping"))
        c.expect(src("bob") + "INVITE carol :#v$")


def test_mode_key():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#k")
        b = srv.client("bob")
        a.send("MODE #k +k sesame")
        a.expect(src("alice") + r"MODE #k \+k sesame$")
        b.send("JOIN #k")
        b.expect(num(475, "bob", "#k :Cannot join channel \\(\\+k\\)"))
        b.send("JOIN #k wrong")
        b.expect(num(475, "bob", "#k :Cannot join channel \\(\\+k\\)"))
        b.send("JOIN #k sesame")
        b.expect(src("bob") + "JOIN #k$")
        b.expect(" 366 bob #k ")
        lines = reply(b, "MODE #k", " 329 ")
        assert lines[0] == ":irc.test 324 bob #k +ntk sesame", lines
        a.send("MODE #k +k bad,key")
        a.expect(num(525, "alice", "#k :Key is not well-formed"))
        a.send("MODE #k -k whatever")
        b.expect(src("alice") + r"MODE #k -k \*$")
        c = srv.client("carol").join("#k")
        c.sync()


def test_mode_limit():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#l")
        b = srv.client("bob").join("#l")
        c = srv.client("carol")
        a.send("MODE #l +l 2")
        b.expect(src("alice") + r"MODE #l \+l 2$")
        c.send("JOIN #l")
        c.expect(num(471, "carol", "#l :Cannot join channel \\(\\+l\\)"))
        lines = reply(a, "MODE #l", " 329 ")
        assert lines[-2] == ":irc.test 324 alice #l +ntl 2", lines
        a.send("MODE #l -l")
        b.expect(src("alice") + "MODE #l -l$")
        c.join("#l")


def test_mode_secret_private_hide_from_list_and_whois():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#s").join("#p").join("#open")
        o = srv.client("out")
        a.send("MODE #s +s")
        a.expect(r"MODE #s \+s$")
        a.send("MODE #p +p")
        a.expect(r"MODE #p \+p$")
        lines = reply(o, "LIST", " 323 ")
        assert [l.split()[3] for l in lines if " 322 " in l] == ["#open"], lines
        lines = reply(o, "WHOIS alice", " 318 ")
        assert [l for l in lines if " 319 " in l] == [":irc.test 319 out alice :@#open"], lines
        lines = reply(a, "LIST", " 323 ")
        assert sorted(l.split()[3] for l in lines if " 322 " in l) == ["#open", "#p", "#s"], lines
        lines = reply(o, "NAMES #s", " 366 ")
        assert lines == [":irc.test 366 out #s :End of /NAMES list"], lines
        lines = reply(o, "WHO #s", " 315 ")
        assert lines == [":irc.test 315 out #s :End of /WHO list"], lines
        a.send("MODE #s -s")
        a.expect(r"MODE #s -s$")
        lines = reply(o, "LIST #s", " 323 ")
        assert ":irc.test 322 out #s 1 :" in lines, lines


def test_mode_bans():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#b")
        b = srv.client("bob").join("#b")
        c = srv.client("carol")
        a.sync()
        lines = reply(b, "MODE #b b", " 368 ")
        assert lines == [":irc.test 368 bob #b :End of channel ban list"], lines
        a.send("MODE #b +bb carol bob!*@*")
        for x in (a, b):
            x.expect(src("alice") + r"MODE #b \+bb carol!\*@\* bob!\*@\*$")
        lines = reply(b, "MODE #b +b", " 368 ")
        bans = sorted(l for l in lines if " 367 " in l)
        assert len(bans) == 2, lines
        assert re.match(num(367, "bob", r"#b bob!\*@\* alice \d+"), bans[0]), bans
        assert re.match(num(367, "bob", r"#b carol!\*@\* alice \d+"), bans[1]), bans
        assert lines[-1] == ":irc.test 368 bob #b :End of channel ban list", lines
        # banned: cannot join; a banned member cannot speak
        c.send("JOIN #b")
        c.expect(num(474, "carol", "#b :Cannot join channel \\(\\+b\\)"))
        b.send("PRIVMSG #b :am I banned")
        b.expect(num(404, "bob", "#b :Cannot send to channel"))
        none(a, "am I banned")
        # masks: user@host form and wildcards
        a.send("MODE #b +b *@127.0.0.*")
        a.expect(src("alice") + r"MODE #b \+b \*!\*@127\.0\.0\.\*$")
        d = srv.client("dave")
        d.send("JOIN #b")
        d.expect(num(474, "dave", "#b :Cannot join channel \\(\\+b\\)"))
        # non-ops can list but not set
        b.send("MODE #b +b x")
        b.expect(num(482, "bob", "#b :You're not channel operator"))
        # -b lifts them; a voiced banned member may speak
        a.send("MODE #b -b *!*@127.0.0.*")
        b.expect(src("alice") + r"MODE #b -b \*!\*@127\.0\.0\.\*$")
        a.send("MODE #b +v bob")
        b.expect(r"MODE #b \+v bob$")
        b.send("PRIVMSG #b :voiced")
        a.expect(src("bob") + "PRIVMSG #b :voiced$")
        a.send("MODE #b -bb carol bob")
        a.expect(src("alice") + r"MODE #b -bb carol!\*@\* bob!\*@\*$")
        b.expect(src("alice") + r"MODE #b -bb carol!\*@\* bob!\*@\*$")
        c.join("#b")
        a.send("MODE #b -b nothere")        # not in the list: no change, no line
        none(a, "MODE")
        a.sync()
        lines = reply(a, "MODE #b b", " 368 ")
        assert lines == [":irc.test 368 alice #b :End of channel ban list"], lines


def mode_changes(lines, chan):
    """(sign+letter, argument or None) pairs of every MODE line for chan,
    checking each line's own arity (b,k,o,v always take one; l when set)."""
    out = []
    for l in lines:
        parts = l.split(" ")
        if len(parts) < 4 or parts[1] != "MODE" or parts[2] != chan:
            continue
        assert len(l) <= 510, (len(l), l)
        flags, args, sign = parts[3], parts[4:], "+"
        for f in flags:
            if f in "+-":
                sign = f
                continue
            takes = f in "bkov" or (f == "l" and sign == "+")
            out.append((sign + f, args.pop(0) if takes else None))
        assert not args, ("arguments left over", l)
    return out


def test_mode_long_ban_masks_are_split_never_dropped():
    with running(NOFLOOD) as srv:
        op = "Op" + "x" * 28                          # longest nick: longest source
        a = srv.client(op, user="u" * 10).join("#b")
        b = srv.client("bob").join("#b")
        a.sync()
        b.sync()
        masks = ["m%d%s!*@*" % (i, "y" * 72) for i in range(6)]
        line = "MODE #b +bbbbbb " + " ".join(masks)
        assert len(line) <= 510, len(line)
        a.send(line)
        a.sync()                                   # processed before b looks
        got = mode_changes(b.sync(), "#b")
        assert got == [("+b", m) for m in masks], got
        lines = reply(b, "MODE #b b", " 368 ")
        assert sorted(l.split()[4] for l in lines if " 367 " in l) == sorted(masks), lines


def test_mode_very_long_flag_string_stays_consistent():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#f")
        b = srv.client("bob").join("#f")
        a.sync()
        b.sync()
        a.send("MODE #f " + "+i-i" * 60 + "+m")
        a.sync()
        got = mode_changes(b.sync(), "#f")
        state = set("nt")
        for change, _ in got:
            (state.add if change[0] == "+" else state.discard)(change[1])
        lines = reply(b, "MODE #f", " 329 ")
        shown = lines[-2].split()[4].lstrip("+")
        assert set(shown) == state, (shown, state, got)


def test_ban_list_full_478():
    with running(NOFLOOD + "max_bans = 2\n") as srv:
        a = srv.client("alice").join("#b")
        assert isupport(a)["MAXLIST"] == "beI:2"
        a.send("MODE #b +bbb x y z")
        a.expect(num(478, "alice", r"#b z!\*@\* :.*"))
        a.expect(src("alice") + r"MODE #b \+bb x!\*@\* y!\*@\*$")


def test_private_channel_hidden_from_who_and_topic_of_outsiders():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#p")
        a.send("TOPIC #p :private matters")
        a.expect("TOPIC #p")
        a.send("MODE #p +p")
        a.expect(r"MODE #p \+p$")
        o = srv.client("out")
        lines = reply(o, "WHO #p", " 315 ")
        assert lines == [":irc.test 315 out #p :End of /WHO list"], lines
        lines = reply(o, "WHO #p %cuhsnfdar", " 315 ")
        assert lines == [":irc.test 315 out #p :End of /WHO list"], lines
        o.send("TOPIC #p")      # +p: as if there were no #p (issue 15)
        o.expect(num(403, "out", "#p :No such channel"))
        lines = reply(o, "NAMES #p", " 366 ")
        assert lines == [":irc.test 366 out #p :End of /NAMES list"], lines
        # the member still sees everything; "*" marks a private channel
        a.send("NAMES #p")
        a.expect(num(353, "alice", r"\* #p :@alice"))
        a.send("WHO #p")
        a.expect(num(352, "alice", r"#p alice .* H@ :0 Test User"))
        a.send("TOPIC #p")
        a.expect(num(332, "alice", "#p :private matters"))


def test_kick_several_users_one_line_each():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#k")
        b = srv.client("bob").join("#k")
        c = srv.client("carol").join("#k")
        a.sync()
        a.send("KICK #k bob,nobody,carol :bye all")
        a.expect(src("alice") + "KICK #k bob :bye all$")
        a.expect(num(401, "alice", "nobody :No such nick/channel"))
        a.expect(src("alice") + "KICK #k carol :bye all$")
        c.expect(src("alice") + "KICK #k bob :bye all$")
        c.expect(src("alice") + "KICK #k carol :bye all$")
        none(b, "KICK #k carol")


def test_whois_targmax_and_remote_server_form():
    with running(NOFLOOD) as srv:
        a = srv.client("alice")
        targmax = dict(t.split(":", 1) for t in isupport(a)["TARGMAX"].split(","))
        limit = int(targmax["WHOIS"]) if targmax.get("WHOIS") else 8
        nicks = ["n%d" % i for i in range(limit)]
        others = [srv.client(n) for n in nicks]   # kept: a dropped socket quits
        lines = reply(a, "WHOIS " + ",".join(nicks), " 318 ")
        assert sorted(l.split()[3] for l in lines if " 311 " in l) == nicks, lines
        # "WHOIS <server> <nick>": our name or a nick on it is fine, else 402
        a.send("WHOIS irc.test n0")
        a.expect(num(311, "alice", r"n0 n0 .*"))
        a.expect(num(318, "alice", "n0 :End of /WHOIS list"))
        a.send("WHOIS *.test n0")
        a.expect(num(311, "alice", r"n0 n0 .*"))
        a.expect(num(318, "alice", "n0 :End of /WHOIS list"))
        a.send("WHOIS n1 n0")
        a.expect(num(311, "alice", r"n0 n0 .*"))
        a.expect(num(318, "alice", "n0 :End of /WHOIS list"))
        lines = reply(a, "WHOIS other.server n0", " (402|318) ")
        assert lines == [":irc.test 402 alice other.server :No such server"], lines
        none(a, " 318 ")
        assert len(others) == limit


# ---------------------------------------------------------------- user MODE

def test_user_modes():
    with running(NOFLOOD) as srv:
        a = srv.client("alice")
        b = srv.client("bob")
        a.send("MODE alice")
        a.expect(num(221, "alice", r"\+"))
        a.send("MODE alice +iw")
        a.expect(r"^:alice!\S+ MODE alice :\+iw$")
        a.send("MODE alice")
        a.expect(num(221, "alice", r"\+iw"))
        a.send("MODE alice -w")
        a.expect(r"^:alice!\S+ MODE alice :-w$")
        a.send("MODE alice +x")
        a.expect(num(501, "alice", ":Unknown MODE flag"))
        a.send("MODE alice +o")              # only OPER gives +o
        a.send("MODE alice")
        a.expect(num(221, "alice", r"\+i"))
        a.send("MODE bob +i")
        a.expect(num(502, "alice", ":Can't change mode for other users"))
        a.send("MODE bob")
        a.expect(num(502, "alice", ".*"))
        a.send("MODE nobody +i")
        a.expect(num(401, "alice", "nobody :No such nick/channel"))
        none(b, "MODE")
        # +i counts in LUSERS
        lines = reply(b, "LUSERS", " 266 ")
        assert lines[0] == ":irc.test 251 bob :There are 1 users and 1 invisible on 1 servers", lines


# ---------------------------------------------------------------- KICK

def test_kick():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#k")
        b = srv.client("bob").join("#k")
        c = srv.client("carol").join("#k")
        o = srv.client("out").join("#other")
        a.sync()
        b.send("KICK #k carol")
        b.expect(num(482, "bob", "#k :You're not channel operator"))
        a.send("KICK #k out")
        a.expect(num(441, "alice", "out #k :They aren't on that channel"))
        o.send("KICK #k bob")
        o.expect(num(442, "out", "#k :You're not on that channel"))
        a.send("KICK #nochan bob")
        a.expect(num(403, "alice", "#nochan :No such channel"))
        a.send("KICK #k")
        a.expect(num(461, "alice", "KICK :Not enough parameters"))
        a.send("KICK #k bob :behave")
        for x in (a, b, c):
            x.expect(src("alice") + "KICK #k bob :behave$")
        none(o, "KICK")
        b.send("PRIVMSG #k :still here?")
        b.expect(num(404, "bob", "#k :Cannot send to channel"))
        lines = reply(c, "NAMES #k", " 366 ")
        assert sorted(lines[0].split(" :", 1)[1].split()) == ["@alice", "carol"], lines
        a.send("KICK #k carol")                       # default reason
        c.expect(src("alice") + "KICK #k carol :alice$")
        a.expect(src("alice") + "KICK #k carol :alice$")
        lines = reply(a, "NAMES #k", " 366 ")
        assert lines[0] == ":irc.test 353 alice = #k :@alice", lines


# ---------------------------------------------------------------- AWAY, USERHOST, ISON

def test_away_everywhere():
    with running(NOFLOOD) as srv:
        a = srv.client("alice").join("#a")
        b = srv.client("bob").join("#a")
        b.send("AWAY :gone fishing")
        b.expect(num(306, "bob", ":You have been marked as being away"))
        a.send("PRIVMSG bob :hello?")
        a.expect(num(301, "alice", "bob :gone fishing"))
        b.expect(src("alice") + "PRIVMSG bob :hello\\?$")
        a.send("NOTICE bob :no 301 for notices")
        b.expect("NOTICE bob")
        none(a, " 301 ")
        lines = reply(a, "WHOIS bob", " 318 ")
        assert ":irc.test 301 alice bob :gone fishing" in lines, lines
        a.send("WHO #a")
        a.expect(num(352, "alice", r"#a bob 127\.0\.0\.1 irc\.test bob G :0 Test User"))
        a.send("USERHOST bob")
        a.expect(num(302, "alice", r":bob=-bob@127\.0\.0\.1"))
        b.send("AWAY")
        b.expect(num(305, "bob", ":You are no longer marked as being away"))
        a.send("PRIVMSG bob :back?")
        none(a, " 301 ")
        a.send("USERHOST bob")
        a.expect(num(302, "alice", r":bob=\+bob@127\.0\.0\.1"))
        a.send("WHO bob")
        a.expect(num(352, "alice", r"\* bob 127\.0\.0\.1 irc\.test bob H :0 Test User"))


def test_userhost_and_ison():
    with running(op_config()) as srv:
        a = srv.client("alice")
        b = srv.client("Bob")
        b.send("OPER boss secret")
        b.expect(" 381 ")
        a.send("USERHOST bob alice nobody")
        a.expect(num(302, "alice", r":Bob\*=\+Bob@127\.0\.0\.1 alice=\+alice@127\.0\.0\.1"))
        a.send("USERHOST nobody")
        a.expect(num(302, "alice", ":"))
        a.send("USERHOST")
        a.expect(num(461, "alice", "USERHOST :Not enough parameters"))
        a.send("ISON bob nobody alice")             # irssi/RFC style: separate params
        a.expect(num(303, "alice", ":Bob alice"))
        a.send("ISON :nobody BOB ALICE")            # one trailing list
        a.expect(num(303, "alice", ":Bob alice"))
        a.send("ISON nobody")
        a.expect(num(303, "alice", ":"))
        a.send("ISON")
        a.expect(num(461, "alice", "ISON :Not enough parameters"))


# ---------------------------------------------------------------- server queries, PING

def test_server_queries():
    motd = "[server]\nname = irc.test\nnetwork = TestNet\ndescription = Test server\n" \
           "admin = admin@example.org\nmotd = hello motd\n"
    with running(motd + NOFLOOD) as srv:
        a = srv.client("alice")
        b = srv.client("bob").join("#x")
        u = srv.client()                      # connected, not registered
        u.send("NICK half")
        u.sync()                              # accepted before alice asks
        lines = reply(a, "LUSERS", " 266 ")
        assert lines[1] == ":irc.test 253 alice 1 :unknown connection(s)", lines
        u.close()
        for _ in range(100):                  # until the server has seen the close
            lines = reply(a, "LUSERS", " 266 ")
            if not has(lines, " 253 "):
                break
            time.sleep(0.02)
        assert [l.split()[1] for l in lines] == ["251", "254", "255", "265", "266"], lines
        assert lines[0] == ":irc.test 251 alice :There are 2 users and 0 invisible on 1 servers"
        assert lines[1] == ":irc.test 254 alice 1 :channels formed", lines
        assert lines[2] == ":irc.test 255 alice :I have 2 clients and 0 servers", lines
        assert re.match(num(265, "alice", "2 2 :Current local users 2, max 2"), lines[3]), lines
        assert re.match(num(266, "alice", "2 2 :Current global users 2, max 2"), lines[4]), lines
        lines = reply(a, "MOTD", " 376 ")
        assert lines == [":irc.test 375 alice :- irc.test Message of the day - ",
                         ":irc.test 372 alice :- hello motd",
                         ":irc.test 376 alice :End of /MOTD command."], lines
        a.send("VERSION")
        a.expect(num(351, "alice", r"ircmini-\S+ irc\.test :Test server"))
        a.expect(num("005", "alice", ".*:are supported by this server"))
        a.send("TIME")
        line = a.expect(num(391, "alice", "irc\\.test :(.+)"))
        assert str(time.gmtime().tm_year) in line, line
        lines = reply(a, "ADMIN", " 259 ")
        assert lines == [":irc.test 256 alice irc.test :Administrative info",
                         ":irc.test 257 alice :Test server",
                         ":irc.test 258 alice :TestNet",
                         ":irc.test 259 alice :admin@example.org"], lines
        lines = reply(a, "INFO", " 374 ")
        assert all(l.split()[1] == "371" for l in lines[:-1]) and len(lines) >= 2, lines
        assert lines[-1] == ":irc.test 374 alice :End of /INFO list", lines
        none(b, r" \d\d\d ")
    with running(NOFLOOD) as srv:
        a = srv.client("alice")
        a.send("MOTD")
        a.expect(num(422, "alice", ":MOTD File is missing"))


def test_ping_any_token():
    with running(NOFLOOD) as srv:
        a = srv.client("alice")
        a.send("PING irc.test")                  # irssi's lag check
        a.expect(r"^:irc\.test PONG irc\.test :irc\.test$")
        a.send("PING 127.0.0.1")                 # WeeChat: the address it connected to
        a.expect(r"^:irc\.test PONG irc\.test :127\.0\.0\.1$")
        a.send("PING LAG1712345678901")          # HexChat
        a.expect(r"^:irc\.test PONG irc\.test :LAG1712345678901$")
        a.send("PING :with spaces here")
        a.expect(r"^:irc\.test PONG irc\.test :with spaces here$")
        a.send("PONG :irc.test")                 # unsolicited PONG: silently accepted
        a.send("PONG")
        none(a, ".")


# ---------------------------------------------------------------- OPER, KILL, WALLOPS

def test_oper():
    with running(op_config()) as srv:
        a = srv.client("alice").join("#o")
        b = srv.client("bob").join("#o")
        # an unknown name is answered like a wrong password (no
        # enumeration); failures hold their address back (issue 15), so
        # they come from addresses of their own
        x = Client(srv.port, source="127.0.0.2").register("xavier")
        x.send("OPER nobody secret")
        x.expect(num(464, "xavier", ":Password incorrect"))
        y = Client(srv.port, source="127.0.0.3").register("yves")
        y.send("OPER boss wrong")
        y.expect(num(464, "yves", ":Password incorrect"))
        a.send("OPER boss")
        a.expect(num(461, "alice", "OPER :Not enough parameters"))
        lines = reply(b, "LUSERS", " 266 ")
        assert not has(lines, " 252 "), lines
        a.send("OPER boss secret")
        a.expect(num(381, "alice", ":You are now an IRC operator"))
        a.expect(r"^:alice!\S+ MODE alice :\+o$")
        a.send("MODE alice")
        a.expect(num(221, "alice", r"\+o"))
        b.send("WHOIS alice")
        b.expect(num(313, "bob", "alice :is an IRC operator"))
        b.send("WHO alice")
        b.expect(num(352, "bob", r"\* alice 127\.0\.0\.1 irc\.test alice H\* :0 Test User"))
        b.send("WHO #o")
        b.expect(num(352, "bob", r"#o alice 127\.0\.0\.1 irc\.test alice H\*@ :0 Test User"))
        lines = reply(b, "LUSERS", " 266 ")
        assert ":irc.test 252 bob 1 :operator(s) online" in lines, lines
        # -o drops it
        a.send("MODE alice -o")
        a.expect(r"^:alice!\S+ MODE alice :-o$")
        lines = reply(b, "WHOIS alice", " 318 ")
        assert not has(lines, " 313 "), lines
        lines = reply(b, "LUSERS", " 266 ")
        assert not has(lines, " 252 "), lines
    with running(NOFLOOD) as srv:                         # no [operators] section at all
        a = srv.client("alice")
        a.send("OPER boss secret")
        a.expect(num(491, "alice", ":No O-lines for your host"))


def test_kill():
    with running(op_config()) as srv:
        a = srv.client("alice").join("#k")
        b = srv.client("bob").join("#k")
        c = srv.client("carol").join("#k")
        b.send("KILL carol :go away")
        b.expect(num(481, "bob", ":Permission Denied- You're not an IRC operator"))
        a.send("OPER boss secret")
        a.expect(" 381 ")
        a.send("KILL nobody :x")
        a.expect(num(401, "alice", "nobody :No such nick/channel"))
        a.send("KILL")
        a.expect(num(461, "alice", "KILL :Not enough parameters"))
        b.sync()
        a.send("KILL carol :spamming")
        c.expect(src("alice") + "KILL carol :spamming$")
        c.expect(r"^ERROR :Closing Link: .*Killed \(alice \(spamming\)\)")
        assert c.wait_closed()
        b.expect(src("carol") + r"QUIT :Killed \(alice \(spamming\)\)$")
        a.expect(src("carol") + r"QUIT :Killed \(alice \(spamming\)\)$")
        b.send("WHOIS carol")
        b.expect(num(401, "bob", "carol :No such nick/channel"))
        # the nick is free again
        srv.client("carol")


def test_wallops():
    with running(op_config()) as srv:
        a = srv.client("alice")
        w = srv.client("wally")
        n = srv.client("nowall")
        w.send("MODE wally +w")
        w.expect(r"MODE wally :\+w$")
        n.send("WALLOPS :hello opers")
        n.expect(num(481, "nowall", ":Permission Denied- You're not an IRC operator"))
        none(w, "WALLOPS")
        a.send("OPER boss secret")
        a.expect(" 381 ")
        a.send("WALLOPS :maintenance at noon")
        w.expect(src("alice") + "WALLOPS :maintenance at noon$")
        none(n, "WALLOPS")
        a.send("WALLOPS")
        a.expect(num(461, "alice", "WALLOPS :Not enough parameters"))
        w.send("MODE wally -w")
        w.expect(r"MODE wally :-w$")
        a.send("WALLOPS :again")
        a.expect("WALLOPS :again$")         # opers get WALLOPS even without +w
        none(w, "WALLOPS")


if __name__ == "__main__":
    run_tests(globals())

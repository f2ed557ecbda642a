#!/usr/bin/env python3
"""End-to-end tests of the IRCv3 capabilities of issue 7: server-time,
message-tags (client-only tags, TAGMSG, tag limits), echo-message,
away-notify, setname, invite-notify, extended-join, and that a broadcast
gives every mix of capabilities the right variant of the line."""
import calendar
import re
import time

from ircharness import running, run_tests

T = r"@time=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d{3}Z"
# message-ids: the server's msgid, first of the tags message-tags clients get
ID = r"msgid=[0-9a-f]+-[0-9a-f]+"
SRC = r":%s!%s@127\.0\.0\.1"

ALL = ["away-notify", "batch", "cap-notify", "echo-message", "extended-join", "invite-notify",
       "labeled-response", "message-tags", "multi-prefix", "server-time", "setname",
       "userhost-in-names"]


def src(nick):
    return SRC % (re.escape(nick), re.escape(nick))


def capclient(srv, nick, caps=""):
    """Registered client that negotiated `caps` (space separated)."""
    c = srv.client()
    c.send("CAP LS 302")
    c.send("NICK " + nick)
    c.send("USER %s 0 * :Real %s" % (nick, nick))
    if caps:
        c.send("CAP REQ :" + caps)
        c.expect(r"^:irc\.test CAP %s ACK :%s$" % (re.escape(nick), re.escape(caps)))
    c.send("CAP END")
    c.expect(r" 001 %s " % re.escape(nick))
    c.collect_until(r" (376|422) ")
    c.nick = nick
    return c


def settle(*clients):
    for c in clients:
        c.sync()


def check_time(line):
    """The @time tag is well-formed UTC and about now (a sanity bound only)."""
    m = re.match(T + "[; ]", line)
    assert m, line
    t = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    assert abs(t - time.time()) < 120, line


def test_ls_and_all_or_nothing():
    with running() as srv:
        c = srv.client()
        c.send("CAP LS 302")
        ls = c.expect(r"CAP \* LS :")
        assert ls.split(" :", 1)[1].split() == ALL, ls
        for absent in ("account-notify", "account-tag", "chghost", "sasl"):
            assert absent not in ls.split(), ls
        # one unknown name refuses the whole request
        c.send("CAP REQ :server-time account-notify")
        c.expect(r"CAP \* NAK :server-time account-notify$")
        c.send("CAP LIST")
        lst = c.expect(r"CAP \* LIST :")
        assert "server-time" not in lst, lst
        c.send("CAP REQ :server-time echo-message")
        c.expect(r"CAP \* ACK :server-time echo-message$")
        c.send("CAP REQ :-echo-message")
        c.expect(r"CAP \* ACK :-echo-message$")
        c.send("CAP LIST")
        lst = c.expect(r"CAP \* LIST :").split(" :", 1)[1].split()
        assert "server-time" in lst and "echo-message" not in lst, lst


def test_server_time_on_relayed_lines():
    with running() as srv:
        s = capclient(srv, "sender").join("#c")      # first: channel operator
        t = capclient(srv, "timed", "server-time").join("#c")
        p = capclient(srv, "plain").join("#c")
        settle(t, p)
        s.send("PRIVMSG #c :to the channel")
        s.send("NOTICE #c :a notice")
        s.send("PRIVMSG timed :private")
        s.send("PRIVMSG plain :private")
        s.send("TOPIC #c :new topic")
        s.send("MODE #c +v plain")
        s.send("NICK sender2")
        s.send("PART #c :gone")
        for pat in [src("sender") + r" PRIVMSG #c :to the channel$",
                    src("sender") + r" NOTICE #c :a notice$",
                    src("sender") + r" PRIVMSG timed :private$",
                    src("sender") + r" TOPIC #c :new topic$",
                    src("sender") + r" MODE #c \+v plain$",
                    src("sender") + r" NICK :sender2$",
                    r":sender2!sender@127\.0\.0\.1 PART #c :gone$"]:
            check_time(t.expect("^" + T + " " + pat))
        for pat in [r" PRIVMSG #c :to the channel$", r" NOTICE #c :a notice$",
                    r" PRIVMSG plain :private$", r" TOPIC #c", r" MODE #c", r" NICK :sender2$",
                    r" PART #c :gone$"]:
            line = p.expect(pat)
            assert line.startswith(":"), line
        # server-originated replies (numerics) carry no tag
        t.send("PING x")
        assert t.expect(r"PONG").startswith(":irc.test PONG"), t.log[-1]
        q = capclient(srv, "quitter").join("#c")
        t.expect(T + " " + src("quitter") + r" JOIN #c$")
        q.send("QUIT :bye")
        check_time(t.expect("^" + T + " " + src("quitter") + r" QUIT :Quit: bye$"))
        assert p.expect(r" QUIT :Quit: bye$").startswith(":")


def test_message_tags_relayed_and_stripped():
    with running() as srv:
        m = capclient(srv, "tagged", "message-tags").join("#c")
        mt = capclient(srv, "both", "message-tags server-time").join("#c")
        p = capclient(srv, "plain").join("#c")
        s = capclient(srv, "sender", "message-tags").join("#c")
        settle(m, mt, p)
        s.send("@+draft/reply=abc;+example.com/x=1\\s2;nonclient=z;+bad!key=1;+flag "
               "PRIVMSG #c :tagged hello")
        want = r"\+draft/reply=abc;\+example\.com/x=1\\s2;\+flag"
        m.expect(r"^@" + ID + ";" + want + " " + src("sender") + r" PRIVMSG #c :tagged hello$")
        check_time(mt.expect(r"^" + T + ";" + ID + ";" + want + " " + src("sender") + r" PRIVMSG #c :tagged hello$"))
        assert p.expect(r"PRIVMSG #c :tagged hello$").startswith(":"), p.log[-1]
        # only server tags: nothing to relay but our own msgid
        s.send("@time=2000-01-01T00:00:00.000Z;msgid=forged NOTICE #c :no client tags")
        assert re.match("^@" + ID + " :", m.expect(r"NOTICE #c :no client tags$")), m.log[-1]
        assert "forged" not in mt.expect(r"NOTICE #c :no client tags$")
        assert "2000-01-01" not in mt.log[-1]
        # private messages too
        s.send("@+typing=active PRIVMSG tagged :psst")
        m.expect(r"^@" + ID + r";\+typing=active " + src("sender") + r" PRIVMSG tagged :psst$")
        s.send("@+typing=active PRIVMSG plain :psst")
        assert p.expect(r"PRIVMSG plain :psst$").startswith(":")


def test_tagmsg():
    with running() as srv:
        m = capclient(srv, "tagged", "message-tags").join("#c")
        p = capclient(srv, "plain").join("#c")
        s = capclient(srv, "sender", "message-tags").join("#c")
        settle(m, p)
        s.send("@+typing=active TAGMSG #c")
        m.expect(r"^@" + ID + r";\+typing=active " + src("sender") + r" TAGMSG #c$")
        s.send("@+typing=paused TAGMSG tagged")
        m.expect(r"^@" + ID + r";\+typing=paused " + src("sender") + r" TAGMSG tagged$")
        s.send("@+typing=active TAGMSG plain")
        p.quiet(r"TAGMSG", 0.3)              # never to clients without message-tags
        s.send("TAGMSG #c")                     # no tags at all: still relayed
        assert re.match("^@" + ID + " :sender!", m.expect(r"TAGMSG #c$")), m.log[-1]
        s.send("TAGMSG nobody")
        s.expect(r" 401 sender nobody ")
        s.send("TAGMSG")
        s.expect(r" 411 sender ")
        o = capclient(srv, "outsider", "message-tags")   # #c is +n
        o.send("@+typing=active TAGMSG #c")
        o.expect(r" 404 outsider #c ")
        m.quiet(r"outsider", 0.2)


def test_tag_size_limits():
    with running() as srv:
        m = capclient(srv, "tagged", "message-tags").join("#c")
        s = capclient(srv, "sender", "message-tags").join("#c")
        settle(m)
        # exactly 4094 bytes of tag data is allowed and relayed whole
        val = "v" * (4094 - len("+big="))
        s.send("@+big=%s PRIVMSG #c :max" % val)
        line = m.expect(r"PRIVMSG #c :max$")
        assert re.match("^@" + ID + ";", line) and ";+big=" + val + " :" in line, line[:80]
        # one more is refused with 417 and not relayed
        s.send("@+big=%sv PRIVMSG #c :toolong" % val)
        s.expect(r" 417 sender :Input line was too long")
        m.quiet(r"toolong", 0.3)
        # the part after the tags keeps its 510-byte limit
        s.send("@+a=b PRIVMSG #c :" + "x" * 520)
        s.expect(r" 417 sender ")
        m.quiet(r"xxxx", 0.3)
        s.send("PING alive")
        s.expect(r"PONG .* :alive$")


def test_echo_message():
    with running() as srv:
        e = capclient(srv, "echoer", "echo-message").join("#c")
        full = capclient(srv, "full", "echo-message message-tags server-time").join("#c")
        other = capclient(srv, "other").join("#c")
        settle(e, full)
        e.send("PRIVMSG #c :hello all")
        e.expect(r"^" + src("echoer") + r" PRIVMSG #c :hello all$")
        other.expect(r"PRIVMSG #c :hello all$")
        e.send("NOTICE other :note")
        e.expect(r"^" + src("echoer") + r" NOTICE other :note$")
        e.send("PRIVMSG nobody :x")
        e.expect(r" 401 echoer nobody ")
        e.quiet(r"PRIVMSG nobody", 0.2)          # a failed send is not echoed
        # the echo carries what the recipients got: time and client tags
        full.send("@+draft/react=x PRIVMSG #c :with tags")
        check_time(full.expect(r"^" + T + ";" + ID + r";\+draft/react=x " + src("full") + r" PRIVMSG #c :with tags$"))
        full.send("@+typing=active TAGMSG #c")
        full.expect(r"^" + T + ";" + ID + r";\+typing=active " + src("full") + r" TAGMSG #c$")
        # no cap, no echo
        other.send("PRIVMSG #c :quiet")
        other.quiet(r"PRIVMSG #c :quiet", 0.3)


def test_away_notify():
    with running() as srv:
        a = capclient(srv, "watcher", "away-notify").join("#c")
        p = capclient(srv, "plain").join("#c")
        far = capclient(srv, "far", "away-notify")      # shares no channel
        u = capclient(srv, "user").join("#c")
        settle(a, p)
        u.send("AWAY :at lunch")
        u.expect(r" 306 user ")
        a.expect(r"^" + src("user") + r" AWAY :at lunch$")
        u.send("AWAY :still at lunch")
        a.expect(r"^" + src("user") + r" AWAY :still at lunch$")
        u.send("AWAY")
        u.expect(r" 305 user ")
        a.expect(r"^" + src("user") + r" AWAY$")
        u.send("AWAY")                           # not away: nothing changes, nothing sent
        u.expect(r" 305 user ")
        a.quiet(r"AWAY", 0.3)
        p.quiet(r"AWAY", 0.1)
        far.quiet(r"AWAY", 0.1)
        u.quiet(r" AWAY", 0.1)                   # the user itself gets 305/306 only
        # joining while away tells the channel, after the JOIN
        a.join("#d")
        u.send("AWAY :brb")
        a.expect(r"AWAY :brb$")
        u.join("#d")
        a.expect(r"^" + src("user") + r" JOIN #d$")
        a.expect(r"^" + src("user") + r" AWAY :brb$")


def test_setname():
    with running() as srv:
        s = capclient(srv, "namer", "setname").join("#c")
        w = capclient(srv, "watcher", "setname").join("#c")
        p = capclient(srv, "plain").join("#c")
        settle(w, p)
        s.send("SETNAME :Bruce Wayne <bruce@example.com>")
        s.expect(r"^" + src("namer") + r" SETNAME :Bruce Wayne <bruce@example.com>$")
        w.expect(r"^" + src("namer") + r" SETNAME :Bruce Wayne <bruce@example.com>$")
        p.quiet(r"SETNAME", 0.3)
        p.send("WHOIS namer")
        p.expect(r" 311 plain namer namer 127\.0\.0\.1 \* :Bruce Wayne <bruce@example.com>$")
        s.send("SETNAME :")
        s.expect(r"^:irc\.test FAIL SETNAME INVALID_REALNAME :")
        s.send("SETNAME")
        s.expect(r" 461 namer SETNAME ")
        # without the cap it works silently
        p.send("SETNAME :Quiet Change")
        w.expect(r"^" + src("plain") + r" SETNAME :Quiet Change$")
        p.quiet(r"SETNAME", 0.3)
        s.send("WHOIS plain")
        s.expect(r" 311 namer plain .* :Quiet Change$")


def test_invite_notify():
    with running() as srv:
        op = capclient(srv, "op", "invite-notify").join("#open").join("#closed")
        mem = capclient(srv, "member", "invite-notify").join("#open").join("#closed")
        plain = capclient(srv, "plain").join("#open")
        t1 = capclient(srv, "target1")
        t2 = capclient(srv, "target2")
        settle(op, mem, plain)
        mem.send("INVITE target1 #open")
        mem.expect(r" 341 member target1 #open")
        t1.expect(r"^" + src("member") + r" INVITE target1 :#open$")
        op.expect(r"^" + src("member") + r" INVITE target1 :?#open$")
        plain.quiet(r"INVITE", 0.3)
        mem.quiet(r"INVITE", 0.1)               # the inviter has its 341
        # on an invite-only channel only its operators are told
        op.send("MODE #closed +i")
        mem.expect(r"MODE #closed \+i")
        op.send("MODE #closed +o member")
        mem.expect(r"MODE #closed \+o member")
        op.send("MODE #closed -o op")
        mem.expect(r"MODE #closed -o op")
        mem.send("INVITE target2 #closed")
        t2.expect(r" INVITE target2 :#closed$")
        op.quiet(r"INVITE target2", 0.3)        # no longer an op there


def test_extended_join():
    with running() as srv:
        x = capclient(srv, "ext", "extended-join").join("#c")
        xt = capclient(srv, "extime", "extended-join server-time").join("#c")
        p = capclient(srv, "plain").join("#c")
        settle(x, xt, p)
        j = capclient(srv, "joiner")
        j.send("JOIN #c")
        x.expect(r"^" + src("joiner") + r" JOIN #c \* :Real joiner$")
        check_time(xt.expect(r"^" + T + " " + src("joiner") + r" JOIN #c \* :Real joiner$"))
        p.expect(r"^" + src("joiner") + r" JOIN #c$")
        j.expect(r"^" + src("joiner") + r" JOIN #c$")     # own JOIN, no cap
        x.send("JOIN #d")
        x.expect(r"^" + src("ext") + r" JOIN #d \* :Real ext$")   # own JOIN, with cap


def test_caps_changed_after_joining():
    # the channel fan-out keeps a per-membership copy of the caps: it must follow
    with running() as srv:
        a = capclient(srv, "late").join("#c").join("#d")
        s = capclient(srv, "sender").join("#c").join("#d")
        a.sync()
        s.send("PRIVMSG #c :before")
        assert a.expect(r"PRIVMSG #c :before$").startswith(":"), a.log[-1]
        a.send("CAP REQ :server-time")
        a.expect(r"CAP late ACK :server-time$")
        s.send("PRIVMSG #c :during")
        s.send("PRIVMSG #d :during")
        check_time(a.expect(r"^" + T + " " + src("sender") + r" PRIVMSG #c :during$"))
        check_time(a.expect(r"^" + T + " " + src("sender") + r" PRIVMSG #d :during$"))
        a.send("CAP REQ :-server-time")
        a.expect(r"CAP late ACK :-server-time$")
        s.send("PRIVMSG #d :after")
        assert a.expect(r"PRIVMSG #d :after$").startswith(":"), a.log[-1]


def test_labeled_response():
    with running() as srv:
        other = capclient(srv, "other").join("#c")
        c = capclient(srv, "lab", "labeled-response batch server-time echo-message").join("#c")
        other.sync()
        # one reply line: the label joins its tags
        c.send("@label=p1 PING tok")
        c.expect(r"^@label=p1 :irc\.test PONG irc\.test :tok$")
        # the echo is the reply, merged with @time; others never see the label
        c.send("@label=e1;+x=y PRIVMSG #c :hi there")
        line = c.expect(r"PRIVMSG #c :hi there$")
        assert re.match(r"^@label=e1;" + T[1:] + " " + src("lab") + " ", line), line
        assert not other.expect(r"PRIVMSG #c :hi there$").startswith("@"), other.log[-1]
        # several lines: one BATCH, every line in it
        c.send("@label=w1 WHOIS other")
        start = c.expect(r"BATCH \+")
        m = re.match(r"^@label=w1 :irc\.test BATCH \+(\S+) labeled-response$", start)
        assert m, start
        bid = m.group(1)
        lines = c.collect_until(r"BATCH -")
        assert lines[-1] == ":irc.test BATCH -" + bid, lines
        assert all(l.startswith("@batch=%s " % bid) for l in lines[:-1]), lines
        assert any(" 311 lab other " in l for l in lines) and any(" 318 " in l for l in lines), lines
        # errors are replies too
        c.send("@label=u1 NOSUCHCMD")
        c.expect(r"^@label=u1 :irc\.test 421 lab NOSUCHCMD ")
        # nothing to say: ACK (echo-message off for this one)
        c.send("CAP REQ :-echo-message")
        c.expect(r"ACK :-echo-message")
        c.send("@label=n1 PRIVMSG other :psst")
        c.expect(r"^@label=n1 :irc\.test ACK$")
        assert not other.expect(r"PRIVMSG other :psst$").startswith("@label")
        # a label over 64 bytes is not echoed back
        c.send("@label=%s PING long" % ("L" * 65))
        c.expect(r"^:irc\.test PONG irc\.test :long$")
        # labeled QUIT: the ACK, then the ERROR
        c.send("@label=q1 QUIT :bye")
        c.expect(r"^@label=q1 :irc\.test ACK$")
        c.expect(r"^ERROR :Closing Link")
        # without batch the label is ignored (multi-line replies need BATCH)
        d = capclient(srv, "nobatch", "labeled-response")
        d.send("@label=z PING zz")
        d.expect(r"^:irc\.test PONG irc\.test :zz$")


def test_every_mix_gets_its_variant():
    # one broadcast, eight recipients: all combinations of the three caps
    # that change a PRIVMSG (server-time, message-tags) and a JOIN
    # (extended-join); each must see exactly its own form
    combos = [(tm, tg, ej) for tm in (0, 1) for tg in (0, 1) for ej in (0, 1)]
    with running() as srv:
        clients = []
        for i, (tm, tg, ej) in enumerate(combos):
            caps = " ".join(n for n, on in (("server-time", tm), ("message-tags", tg),
                                            ("extended-join", ej)) if on)
            clients.append(capclient(srv, "r%d" % i, caps).join("#mix"))
        for c in clients:
            c.sync()
        s = capclient(srv, "speaker", "message-tags")
        s.send("JOIN #mix")
        s.send("@+k=v PRIVMSG #mix :variant")
        for c, (tm, tg, ej) in zip(clients, combos):
            join = c.expect(r"JOIN #mix")
            msg = c.expect(r"PRIVMSG #mix :variant$")
            tags_j = (T + " ") if tm else ""
            assert re.match("^" + tags_j + src("speaker") + r" JOIN #mix" +
                            (r" \* :Real speaker$" if ej else "$"), join), (c.nick, join)
            parts = ([T[1:]] if tm else []) + ([ID, r"\+k=v"] if tg else [])
            prefix = "@" + ";".join(parts) + " " if parts else ""
            assert re.match("^" + prefix + src("speaker") + r" PRIVMSG #mix :variant$", msg), (c.nick, msg)


if __name__ == "__main__":
    run_tests(globals())

#!/usr/bin/env python3
"""Conformance checks in the shape of the public irctest suite
(github.com/progval/irctest, irctest/server_tests): each test drives the
server the way one of its cases does (same command lines, a PING round
trip to know a reply is complete) and asserts what that case asserts,
with its spec reference. Written from the specs and the observed
exchanges; the names say which irctest case a test mirrors."""
import re

from ircharness import oper_hash, running, run_tests

NAME = "My.Little.Server"   # the server name irctest's controllers configure


# irctest runs the server without flood control and with one operator
# block "operuser" / "operpassword".
def config(extra=""):
    return ("[server]\nname = %s\nnetwork = TestNet\ndescription = test server\n"
            "[limits]\nflood_burst = 0\n[operators]\noperuser = %s\n%s"
            % (NAME, oper_hash("operpassword"), extra))


_CONFIG = None


def server(extra=""):
    global _CONFIG
    if _CONFIG is None:
        _CONFIG = config()  # hashing once keeps the suite quick
    return running(_CONFIG + extra, name=NAME)


# ---------------------------------------------------------------- messages

def _unescape(v):
    out, i = [], 0
    while i < len(v):
        if v[i] == "\\" and i + 1 < len(v):
            out.append({":": ";", "s": " ", "r": "\r", "n": "\n"}.get(v[i + 1], v[i + 1]))
            i += 2
        else:
            out.append(v[i])
            i += 1
    return "".join(out)


class Msg:
    def __init__(self, line):
        self.raw = line
        self.tags = {}
        if line.startswith("@"):
            tags, line = line[1:].split(" ", 1)
            for t in tags.split(";"):
                k, _, v = t.partition("=")
                self.tags[k] = _unescape(v)
            line = line.lstrip(" ")
        self.prefix = None
        if line.startswith(":"):
            self.prefix, line = line[1:].split(" ", 1)
            line = line.lstrip(" ")
        head, sep, trailing = line.partition(" :")
        words = head.split()
        self.command = words[0].upper()
        self.params = words[1:] + ([trailing] if sep else [])
        self.nick = self.prefix.split("!")[0] if self.prefix else None

    def __repr__(self):
        return repr(self.raw)


def match(m, command, params=None, tags=None):
    """irctest's assertMessageMatch: params compared one by one (a compiled
    regex must match the whole parameter, None matches anything)."""
    assert m is not None and m.command == command, "expected %s, got %r" % (command, m)
    if params is not None:
        assert len(m.params) == len(params), "params %r vs %r" % (m.params, params)
        for got, want in zip(m.params, params):
            if want is None:
                continue
            if hasattr(want, "fullmatch"):
                assert want.fullmatch(got), "param %r !~ %s in %r" % (got, want.pattern, m)
            else:
                assert got == want, "param %r != %r in %r" % (got, want, m)
    if tags is not None:
        assert m.tags == tags, "tags %r != %r in %r" % (m.tags, tags, m)
    return m


class User:
    """One connection, read the way irctest's client does: msgs() is
    everything the server sent before the answer to a PING of ours;
    next() the first such message (the rest stays buffered)."""

    def __init__(self, srv):
        self.c = srv.client()
        self.buf = []
        self.isupport = {}

    def send(self, line):
        self.c.send(line)

    def msgs(self):
        got, self.buf = self.buf, []
        lines = self.c.sync()
        return got + [Msg(l) for l in lines[:-1]]

    def next(self):
        if not self.buf:
            self.buf = self.msgs()
        assert self.buf, "no message from the server"
        return self.buf.pop(0)

    def commands(self):
        return [m.command for m in self.msgs()]

    def until(self, command):
        """Messages up to and including the first `command` (no PING)."""
        out = []
        while True:
            line = self.c.expect(".")
            m = Msg(line)
            out.append(m)
            if m.command == command:
                return out

    def closed(self):
        return self.c.wait_closed()


def connect(srv, nick, caps=(), ident="username"):
    """irctest's connectClient: optional CAP negotiation, NICK, USER,
    everything up to the end of the burst; 005 tokens kept."""
    u = User(srv)
    if caps:
        u.send("CAP LS 302")
        u.until("CAP")
        u.send("CAP REQ :" + " ".join(caps))
        ack = u.until("CAP")[-1]
        assert ack.params[1] == "ACK", ack
    u.send("NICK " + nick)
    u.send("USER %s * * :Realname" % ident)
    if caps:
        u.send("CAP END")
    u.until("001")
    for m in u.msgs():
        if m.command == "005":
            for tok in m.params[1:-1]:
                k, _, v = tok.partition("=")
                u.isupport[k] = v
    u.nick = nick
    return u


def join(u, chan):
    u.send("JOIN " + chan)
    assert "366" in u.commands()


ANY = None
NUM = re.compile(r"[0-9]+")


# ------------------------------------------- connection_registration.py

def test_registration_burst_order():
    """testConnectionRegistration: 001-003, 004 with mode lists, 005s,
    LUSERS numerics, then the MOTD or 422, all addressed to the nick."""
    with server() as srv:
        u = User(srv)
        u.send("NICK foo")
        u.send("USER foo * * :foo")
        ms = u.until("422")
        for code in ("001", "002", "003"):
            match(ms.pop(0), code, ["foo", ANY])
        match(ms.pop(0), "004", ["foo", NAME, ANY, re.compile("[a-zA-Z]+"),
                                 re.compile("[a-zA-Z]+"), re.compile("[a-zA-Z]+")])
        assert ms[0].command == "005"
        while ms[0].command == "005":
            assert ms.pop(0).params[0] == "foo"
        while ms[0].command in ("251", "252", "253", "254", "255", "265", "266"):
            ms.pop(0)
        match(ms.pop(0), "422", ["foo", ANY])


def test_registration_empty_realname():
    """testEmptyRealname: 'USER username * * :' is a 461 (Modern IRC,
    ircdocs/modern-irc#85), and the client can still register."""
    with server() as srv:
        u = User(srv)
        u.send("NICK foo")
        u.send("USER username * * :")
        match(u.next(), "461", [re.compile(r"\*|foo"), "USER", ANY])
        assert "001" not in u.commands()
        u.send("USER username * * :Real")
        u.until("001")


def test_registration_star_and_empty_nick():
    """testStarNick, testEmptyNick, testEarlyNickCollision."""
    with server() as srv:
        u = User(srv)
        u.send("NICK *")
        u.send("USER u s e r")
        cmds = u.commands()
        assert "432" in cmds and "001" not in cmds, cmds
        u.send("NICK valid")
        assert "001" in u.commands()
        e = User(srv)
        e.send("NICK :")
        e.send("USER u s e r")
        cmds = e.commands()
        assert "431" in cmds and "001" not in cmds, cmds
        a, b = User(srv), User(srv)
        a.send("NICK foo")
        b.send("NICK foo")
        a.send("USER username * * :Realname")
        b.send("USER username * * :Realname")
        firsts = sorted([a.next().command, b.next().command])
        assert firsts == ["001", "433"], firsts


# --------------------------------------------------------------- cap.py

def test_cap_negotiation():
    """CapTestCase: NAK echoes the request whole, all or nothing; CAP LIST
    first gives an empty list; 3.1 LS has no values and no '*' line;
    '-cap' removes (testCapRemovalByClient), and CAP replies carry no time."""
    with server() as srv:
        u = User(srv)
        u.send("CAP LIST")
        match(u.next(), "CAP", ["*", "LIST", ""])
        u.send("CAP LS")
        ls = u.next()
        assert ls.params[2] != "*" and "=" not in ls.params[2], ls
        u.send("CAP REQ :foo qux bar baz qux quux")
        match(u.next(), "CAP", [ANY, "NAK", "foo qux bar baz qux quux"])
        u.send("CAP REQ :foo multi-prefix bar")
        match(u.next(), "CAP", [ANY, "NAK", "foo multi-prefix bar"])
        u.send("CAP REQ :echo-message server-time")
        match(u.next(), "CAP", [ANY, "ACK", "echo-message server-time"])
        u.send("NICK bar")
        u.send("USER user 0 * realname")
        u.send("CAP END")
        u.until("001")
        s = connect(srv, "sender")
        s.send("PRIVMSG bar :hi")
        s.msgs()
        assert "time" in [m for m in u.msgs() if m.command == "PRIVMSG"][0].tags
        u.send("CAP REQ :-server-time")
        match(u.next(), "CAP", [ANY, "ACK", "-server-time"])
        u.send("CAP LIST")
        lst = u.next()
        assert set(lst.params[2].split()) - {"cap-notify"} == {"echo-message"}, lst
        assert "time" not in lst.tags, lst


# ------------------------------------------------------- message_tags.py

def test_message_tags_and_msgid():
    """MessageTagsTestCase.testBasic: client-only tags and a msgid to
    message-tags clients (the same id on the echo), no tags at all to the
    others, TAGMSG only to message-tags clients."""
    with server() as srv:
        alice = connect(srv, "alice", ["message-tags"])
        join(alice, "#test")
        bob = connect(srv, "bob", ["message-tags", "echo-message"])
        join(bob, "#test")
        carol = connect(srv, "carol")
        join(carol, "#test")
        dave = connect(srv, "dave", ["server-time"])
        join(dave, "#test")
        for u in (alice, bob, carol, dave):
            u.msgs()
        alice.send("@+baz=bat;fizz=buzz PRIVMSG #test hi")
        alice.msgs()
        b = match(bob.next(), "PRIVMSG", ["#test", "hi"])
        assert b.tags.get("+baz") == "bat" and b.tags.get("msgid") and "fizz" not in b.tags, b
        c = match(carol.next(), "PRIVMSG", ["#test", "hi"])
        assert c.raw.startswith(":") and c.tags == {}, c
        d = match(dave.next(), "PRIVMSG", ["#test", "hi"])
        assert "time" in d.tags and "+baz" not in d.tags and "msgid" not in d.tags, d

        bob.send("@+bat=baz;+fizz=buzz PRIVMSG #test :hi yourself")
        echo, got = bob.next(), alice.next()
        for m in (echo, got):
            match(m, "PRIVMSG", ["#test", "hi yourself"])
            assert m.tags.get("+bat") == "baz" and m.tags.get("+fizz") == "buzz", m
        assert echo.tags["msgid"] == got.tags["msgid"], (echo, got)
        assert echo.tags["msgid"] != b.tags["msgid"]
        carol.msgs()
        dave.msgs()

        bob.send(r"@+buzz=fizz\:buzz;cat=dog;+steel=wootz TAGMSG #test")
        echo, got = bob.next(), alice.next()
        for m in (echo, got):
            match(m, "TAGMSG", ["#test"])
            assert m.tags.get("+buzz") == "fizz;buzz" and m.tags.get("+steel") == "wootz", m
            assert "cat" not in m.tags and m.tags.get("msgid"), m
        assert echo.tags["msgid"] == got.tags["msgid"]
        assert carol.msgs() == [] and dave.msgs() == []


def test_msgid_per_target_and_recipient_caps():
    """testRecipientCapability, regressions.testTagCap: a reply to a msgid,
    tags only once the recipient negotiates message-tags; each target of a
    multi-target PRIVMSG is its own message with its own id."""
    with server() as srv:
        alice = connect(srv, "alice", ["message-tags", "echo-message"])
        bob = connect(srv, "bob")
        bob.send("PRIVMSG alice :hey")
        bob.msgs()
        (m,) = alice.msgs()
        bob_msgid = m.tags["msgid"]
        assert bob_msgid
        alice.send("@+draft/reply=%s PRIVMSG bob :hey yourself" % bob_msgid)
        echo = match(alice.next(), "PRIVMSG", ["bob", "hey yourself"])
        assert echo.tags["+draft/reply"] == bob_msgid, echo
        match(bob.next(), "PRIVMSG", ["bob", "hey yourself"], tags={})
        bob.send("CAP REQ :message-tags server-time")
        bob.msgs()
        alice.send("@+draft/reply=%s PRIVMSG bob :hey again" % bob_msgid)
        alice.msgs()
        got = match(bob.next(), "PRIVMSG", ["bob", "hey again"])
        assert got.tags["+draft/reply"] == bob_msgid, got
        alice.send("PRIVMSG alice,bob :two")
        ids = [m.tags["msgid"] for m in alice.msgs() if m.command == "PRIVMSG"]
        assert len(ids) == 3 and len(set(ids)) == 2, ids   # self copy + 2 echoes


def test_message_tag_length_limits():
    """testLengthLimits and TagsTestCase.testLineTooLong: 4094 bytes of
    client tag data pass whole (plus our msgid), one more is a 417 and
    nothing is relayed; the rest of the line keeps 510 bytes."""
    with server() as srv:
        alice = connect(srv, "alice", ["message-tags", "echo-message"])
        join(alice, "#test")
        bob = connect(srv, "bob", ["message-tags"])
        join(bob, "#test")
        alice.msgs()
        bob.msgs()
        line = "@foo=bar;+baz=%s TAGMSG #test" % ("a" * 4081)
        assert line.index("TAGMSG") == 4096
        alice.send(line)
        echo, relay = alice.next(), bob.next()
        for m in (echo, relay):
            match(m, "TAGMSG", ["#test"])
            assert m.tags["+baz"] == "a" * 4081 and m.tags["msgid"], m.raw[:60]
        assert echo.tags["msgid"] == relay.tags["msgid"]
        alice.send("@foo=bar;+baz=%s TAGMSG #test" % ("a" * 4082))
        assert alice.next().command == "417"
        assert bob.msgs() == []
        alice.send("@foo=bar;+baz=%s PRIVMSG #test %s" % ("a" * 4081, "b" * 496))
        echo, relay = alice.next(), bob.next()
        for m in (echo, relay):
            match(m, "PRIVMSG", ["#test", re.compile("b{400,496}")])
            assert m.tags["+baz"] == "a" * 4081, m.raw[:60]
        alice.send("@foo=bar;+baz=%s PRIVMSG #test %s" % ("a" * 4082, "b" * 495))
        assert alice.next().command == "417"
        assert bob.msgs() == []
        alice.send("@+clientOnlyTagExample=%s PRIVMSG #test hi!" % ("a" * 4096))
        assert "417" in alice.commands()
        assert bob.msgs() == []


# --------------------------------------- labeled_responses.py, echo_message.py

LABELED = ["echo-message", "batch", "labeled-response", "message-tags"]


def test_labeled_message_to_self():
    """testLabeled{Privmsg,Notice,TagMsg}ResponsesToSelf: with echo-message
    a message to oneself arrives twice, the delivery and the echo; only
    the echo carries the label, and neither is in a BATCH."""
    with server() as srv:
        foo = connect(srv, "foo", LABELED)
        for cmd, line in (("PRIVMSG", "PRIVMSG foo :hi"), ("NOTICE", "NOTICE foo :hi"),
                          ("TAGMSG", "@+draft/reply=123;+draft/react=l\U0001F603l TAGMSG foo")):
            sep = ";" if line.startswith("@") else " "
            foo.send("@label=12345" + sep + line.lstrip("@"))
            ms = foo.msgs()
            assert [m.command for m in ms] == [cmd, cmd], ms
            labels = [m.tags.get("label") for m in ms if "label" in m.tags]
            assert labels == ["12345"], ms
            assert ms[0].tags["msgid"] == ms[1].tags["msgid"], ms


def test_labeled_echo_to_others():
    """testLabeledPrivmsgResponsesToClient / ...ToMultipleClients,
    testLabeledTagMsgResponsesToClient, testDirectMessageEcho: the echo
    carries the label (a BATCH for several targets), recipients never do."""
    with server() as srv:
        foo = connect(srv, "foo", LABELED)
        bar = connect(srv, "bar", LABELED)
        foo.send("PRIVMSG bar :hi")
        msgid = foo.next().tags["msgid"]
        assert msgid == bar.next().tags["msgid"]
        foo.send("@label=12345;+draft/reply=%s;+draft/react=l\U0001F603l TAGMSG bar" % msgid)
        echo, got = foo.next(), bar.next()
        assert echo.tags["label"] == "12345" and echo.tags["+draft/reply"] == msgid, echo
        assert "label" not in got.tags and got.tags["+draft/react"] == "l\U0001F603l", got
        foo.send("@label=xyz;+example-client-tag=example-value PRIVMSG bar :hi there")
        echo, got = foo.msgs()[0], bar.msgs()[0]
        match(echo, "PRIVMSG", ["bar", "hi there"])
        assert echo.tags["label"] == "xyz" and echo.tags["+example-client-tag"] == "example-value"
        assert "label" not in got.tags and got.tags["msgid"] == echo.tags["msgid"], got
        plain = [connect(srv, n, LABELED[:3]) for n in ("carl", "alice")]
        foo.send("@label=12345 PRIVMSG bar,carl,alice :hi")
        assert foo.next().command == "BATCH"
        for u in plain:
            match(u.next(), "PRIVMSG", tags={})


# --------------------------------------------------------------- kick.py

def test_kick_several_targets():
    """testDoubleKickMessages: 'KICK #chan bar,baz' and 'KICK #chan,#chan
    bar,baz' (RFC 2812: as many channels as users pair up) each give one
    KICK line per user."""
    for line in ("KICK #chan bar,baz :bye", "KICK #chan,#chan bar,baz :bye"):
        with server() as srv:
            users = [connect(srv, n) for n in ("foo", "bar", "baz", "qux")]
            for u in users:
                join(u, "#chan")
            for u in users:
                u.msgs()
            users[0].send(line)
            users[0].msgs()   # the kicker's round trip first: then qux has it all
            ms = users[3].msgs()
            assert len(ms) == 2, ms
            for m, who in zip(ms, ("bar", "baz")):
                match(m, "KICK", ["#chan", who, "bye"])
            users[0].send("KICK #chan,#other qux")
            match(users[0].next(), "461", ["foo", "KICK", ANY])


def test_kick_default_comment_and_privileges():
    """testKickDefaultComment (RFC 2812: the kicker's nick), testKickPrivileges."""
    with server() as srv:
        foo, bar, baz = (connect(srv, n) for n in ("foo", "bar", "baz"))
        join(foo, "#chan")
        join(bar, "#chan")
        baz.send("KICK #chan bar")
        assert "442" in baz.commands()
        join(baz, "#chan")
        baz.send("KICK #chan bar")
        assert "482" in baz.commands()
        foo.msgs()
        bar.msgs()
        foo.send("KICK #chan bar")
        match(foo.next(), "KICK", ["#chan", "bar", "foo"])
        match(bar.next(), "KICK", ["#chan", "bar", "foo"])
        match(baz.next(), "KICK", ["#chan", "bar", "foo"])


# -------------------------------------------------------------- names.py

def test_names_without_argument():
    """testNamesNoArgumentPublic/Private (RFC 2812 RPL_ENDOFNAMES): every
    visible channel's 353, then a single 366; a +s channel one is not on
    is left out."""
    with server() as srv:
        n1 = connect(srv, "nick1")
        n1.send("JOIN #chan1")
        n2 = connect(srv, "nick2")
        n2.send("JOIN #chan2")
        n2.send("MODE #chan2 -sp")
        n1.msgs()
        n2.msgs()
        n1.send("NAMES")
        ms = n1.msgs()
        match(ms[0], "353", ["nick1", "=", "#chan1", "@nick1"])
        match(ms[1], "353", ["nick1", "=", "#chan2", "@nick2"])
        match(ms[2], "366", ["nick1", ANY, ANY])
        assert len(ms) == 3, ms
        n2.send("MODE #chan2 +sp")
        n2.msgs()
        n1.send("NAMES")
        ms = n1.msgs()
        match(ms[0], "353", ["nick1", "=", "#chan1", "@nick1"])
        match(ms[1], "366", ["nick1", ANY, ANY])
        assert len(ms) == 2, ms
        n1.send("NAMES #nonexisting")
        match(n1.next(), "366", ["nick1", "#nonexisting", ANY])


# ----------------------------------------------------- info.py and friends

def test_server_queries_with_a_target():
    """InfoTestCase.testInfoTarget / testInfoNosuchserver, and the same
    rule for VERSION, TIME, ADMIN, MOTD, LUSERS: our name (or a mask of
    it, or a nick here) answers, anything else is 402 and nothing more."""
    with server() as srv:
        u = connect(srv, "nick")
        for target in (NAME, "*Little*", "nick"):
            u.send("INFO " + target)
            ms = u.msgs()
            match(ms.pop(), "374", ["nick", ANY])
            assert ms and all(m.command == "371" for m in ms), ms
        for line in ("INFO invalid.server.example", "INFO invalidserver", "VERSION nowhere",
                     "TIME nowhere", "ADMIN nowhere", "MOTD nowhere", "LUSERS * nowhere"):
            target = line.split()[-1]
            u.send(line)
            ms = u.msgs()
            assert len(ms) == 1, ms
            match(ms[0], "402", ["nick", target, ANY])
        u.send("TIME " + NAME)
        match(u.next(), "391", ["nick", NAME, ANY])



def test_links_single_server():
    """LinksTestCase.testLinksSingleServer (RFC 1459 4.3.3, RFC 2812 3.4.5):
    LINKS lists this one server with hopcount 0 and its description, then
    365 with the mask ("*" when none was given); a mask that does not
    match us gives only the 365, and a remote-server target that is not
    us is 402."""
    with server() as srv:
        u = connect(srv, "nick")
        u.send("LINKS")
        ms = u.msgs()
        assert len(ms) == 2, ms
        match(ms[0], "364", ["nick", NAME, NAME, "0 test server"])
        match(ms[1], "365", ["nick", "*", ANY])
        u.send("LINKS *little*")
        ms = u.msgs()
        assert [m.command for m in ms] == ["364", "365"], ms
        match(ms[1], "365", ["nick", "*little*", ANY])
        u.send("LINKS other.example")
        ms = u.msgs()
        assert len(ms) == 1, ms
        match(ms[0], "365", ["nick", "other.example", ANY])
        u.send("LINKS elsewhere.example *")
        ms = u.msgs()
        assert len(ms) == 1, ms
        match(ms[0], "402", ["nick", "elsewhere.example", ANY])


# --------------------------------------------------------- chmodes/limit.py

def test_limit_with_invite():
    """LimitTestCase.testLimitWithInvite (Modern IRC: an INVITE lets a user
    join despite +l) and testLimitRemoval."""
    with server() as srv:
        op = connect(srv, "chanop")
        join(op, "#chan")
        op.send("MODE #chan +l 1")
        op.msgs()
        u = connect(srv, "user2")
        u.send("JOIN #chan")
        match(u.next(), "471", ["user2", "#chan", ANY])
        assert u.msgs() == []
        op.send("INVITE user2 #chan")
        op.msgs()
        u.msgs()
        u.send("JOIN #chan")
        match(u.next(), "JOIN", ["#chan"])
        u.send("PART #chan")
        u.msgs()
        u.send("JOIN #chan")            # the invitation was used up
        assert "471" in u.commands()
        op.msgs()
        op.send("MODE #chan -l")
        match(op.next(), "MODE", ["#chan", "-l"])
        join(u, "#chan")


# ------------------------------------------------------------- whowas.py

def test_whowas_history_count_and_wildcard():
    """testWhowasMultiple/Count1/CountNegative/Wildcard: newest first,
    <count> limits, non-positive means all, wildcards match (RFC 2812)."""
    with server() as srv:
        n1 = connect(srv, "nick1")
        for ident in ("ident2", "ident3"):
            q = connect(srv, "nick2", ident=ident)
            q.send("QUIT :bye")
            assert q.closed()
        for line, idents in (("WHOWAS nick2", ["ident3", "ident2"]),
                             ("WHOWAS nick2 1", ["ident3"]),
                             ("WHOWAS nick2 -1", ["ident3", "ident2"]),
                             ("WHOWAS nick2 0", ["ident3", "ident2"]),
                             ("WHOWAS *ck2", ["ident3", "ident2"])):
            n1.send(line)
            ms = n1.msgs()
            users = [m for m in ms if m.command == "314"]
            assert [m.params[2] for m in users] == idents, (line, ms)
            for m in users:
                match(m, "314", ["nick1", "nick2", ANY, ANY, "*", "Realname"])
            match(ms[-1], "369", ["nick1", line.split()[1], ANY])
        n1.send("WHOWAS nobody")
        match(n1.next(), "406", ["nick1", "nobody", ANY])
        match(n1.next(), "369", ["nick1", "nobody", ANY])


# ---------------------------------------------------------------- who.py

def test_who_and_whox():
    """WhoTestCase: nick (exact, folded, mask), channel, away and oper
    flags, the mask echoed as sent, WHOX fields in their fixed order."""
    with server() as srv:
        u = User(srv)
        u.send("NICK coolNick")
        u.send("USER myusernam 0 * :My UniqueReal Name")
        u.until("001")
        u.msgs()
        u.send("JOIN #chan")
        u.msgs()
        o = connect(srv, "otherNick")
        o.send("JOIN #chan")
        o.msgs()
        real = re.compile(r"[0-9]+ My UniqueReal Name")
        for mask in ("coolNick", "coolnick", "coolni*"):
            o.send("WHO " + mask)
            reply, end = o.msgs()
            match(reply, "352", ["otherNick", "*", "myusernam", ANY, NAME, "coolNick", "H", real])
            match(end, "315", ["otherNick", mask, ANY])
        u.send("OPER operuser operpassword")
        u.send("AWAY :be right back")
        u.msgs()
        o.send("WHO #CHAN")
        *replies, end = o.msgs()
        replies.sort(key=lambda m: m.params[5])
        match(replies[0], "352", ["otherNick", "#chan", "myusernam", ANY, NAME, "coolNick", "G*@", real])
        match(replies[1], "352", ["otherNick", "#chan", ANY, ANY, NAME, "otherNick", "H", ANY])
        match(end, "315", ["otherNick", "#CHAN", ANY])
        o.send("WHO idontexist")
        (end,) = o.msgs()
        match(end, "315", ["otherNick", "idontexist", ANY])
        for fields in ("%tcuihsnfdlaor,123", "%roalfdnshiuct,123"):
            o.send("WHO coolNick " + fields)
            reply, end = o.msgs()
            match(reply, "354", ["otherNick", "123", re.compile(r"#chan|\*"), "myusernam", ANY, ANY,
                                 NAME, "coolNick", re.compile(r"G\*@?"), ANY, re.compile("[0-9]+"),
                                 "0", ANY, "My UniqueReal Name"])


# ------------------------------------------------------------- lusers.py

def test_lusers_counts_unregistered():
    """LusersUnregisteredTestCase: 253 counts connections that have not
    registered; 265/266 carry current and max as parameters."""
    with server() as srv:
        bar = connect(srv, "bar")

        def lusers():
            bar.send("LUSERS")
            by = {m.command: m for m in bar.msgs()}
            assert all(m.params[0] == "bar" for m in by.values()), by
            return by

        by = lusers()
        assert "253" not in by
        match(by["265"], "265", ["bar", "1", "1", ANY])
        qux = User(srv)
        qux.send("NICK qux")
        qux.send("PING PARAM")
        qux.until("PONG")
        by = lusers()
        match(by["253"], "253", ["bar", "1", ANY])
        qux.send("USER u s e r")
        qux.until("001")
        by = lusers()
        assert "253" not in by
        match(by["266"], "266", ["bar", "2", "2", ANY])
        assert re.match(r".* 2 .* 0 .* 1 ", by["251"].params[1]), by["251"]


def test_help_and_helpop():
    """HelpTestCase (Modern HELP): 704 first, 705s, 706 last, all carrying
    the subject; "*" without one; an unknown subject is 524 alone. HELPOP is
    the same command."""
    with server() as srv:
        u = connect(srv, "nick")
        for cmd in ("HELP", "HELPOP"):
            u.send(cmd)
            ms = u.msgs()
            assert ms[0].command == "704" and ms[-1].command == "706", ms
            assert all(m.command == "705" for m in ms[1:-1]) and len(ms) > 2, ms
            assert all(m.params[:2] == ["nick", "*"] for m in ms), ms
            u.send(cmd + " privmsg")
            ms = u.msgs()
            assert [m.command for m in ms] == ["704", "706"], ms
            assert all(m.params[1].upper() == "PRIVMSG" for m in ms), ms
            assert "PRIVMSG target" in ms[0].params[2], ms
            u.send(cmd + " THISISNOTACOMMAND")
            ms = u.msgs()
            assert len(ms) == 1, ms
            match(ms[0], "524", ["nick", "THISISNOTACOMMAND", ANY])


if __name__ == "__main__":
    run_tests(globals())

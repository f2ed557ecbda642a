#!/usr/bin/env python3
"""Issue 12: host cloaking. Users see a keyed hash of each other's address
(HMAC-SHA256, computed here independently), never the address, in every
reply; operators see the real one; channel bans match only the cloak,
server bans the real address too; a generated key is kept in the state
directory, so cloaks survive a restart."""
import hashlib
import hmac
import os
import re
import shutil
import socket
import stat
import tempfile

from ircharness import Client, oper_hash, running, run_tests

SECRET = "test-secret-0123456789"
PASSWORD = "hunter22"
B32 = "abcdefghijklmnopqrstuvwxyz234567"


def label(key, addr, bits):
    raw = bytearray(socket.inet_aton(addr)) + bytearray(12)
    for i in range(16):   # keep the first `bits`
        keep = bits - 8 * i
        raw[i] &= 0xff if keep >= 8 else (0 if keep <= 0 else (0xff << (8 - keep)) & 0xff)
    mac = hmac.new(key.encode(), bytes([socket.AF_INET, bits]) + bytes(raw), hashlib.sha256).digest()
    v = int.from_bytes(mac[:5], "big")
    return "".join(B32[(v >> (35 - 5 * i)) & 31] for i in range(8))


def cloak(key, addr, suffix="TestNet"):
    return ".".join(label(key, addr, b) for b in (32, 24, 16)) + "." + suffix


CONF = ("[cloak]\nenabled = yes\nsecret = %s\n[limits]\nexempt = 127.0.0.0/8\n"
        "[operators]\nboss = %s\n" % (SECRET, oper_hash(PASSWORD)))


def capclient(srv, nick, caps, source=None):
    c = Client(srv.port, source=source)
    c.send("CAP LS 302")
    c.send("NICK " + nick)
    c.send("USER %s 0 * :Real %s" % (nick, nick))
    c.send("CAP REQ :" + caps)
    c.expect(r"CAP %s ACK" % nick)
    c.send("CAP END")
    c.expect(r" 001 ")
    c.collect_until(r" (376|422) ")
    return c


def test_no_reply_leaks_the_address():
    C = cloak(SECRET, "127.0.0.1")
    Q = re.escape(C)
    with running(CONF) as srv:
        alice = capclient(srv, "alice", "extended-join userhost-in-names multi-prefix")
        alice.join("#c")
        bob = srv.client("bob", realname="Bob Real")
        # 001 tells bob his own cloak
        assert any(l == ":irc.test 001 bob :Welcome to the TestNet IRC Network bob!bob@%s" % C
                   for l in bob.log), bob.log[:2]
        bob.join("#c")
        assert alice.expect(r"JOIN #c") == ":bob!bob@%s JOIN #c * :Bob Real" % C
        alice.send("NAMES #c")
        got = alice.expect(r" 353 ")
        assert got == ":irc.test 353 alice = #c :bob!bob@%s @alice!alice@%s" % (C, C), got
        alice.send("WHO #c")
        lines = alice.collect_until(r" 315 ")
        assert ":irc.test 352 alice #c bob %s irc.test bob H :0 Bob Real" % C in lines, lines
        alice.send("WHO #c %tcuihnfr,7")
        lines = alice.collect_until(r" 315 ")
        assert ":irc.test 354 alice 7 #c bob 255.255.255.255 %s bob H :Bob Real" % C in lines, lines
        alice.send("USERHOST bob")
        assert alice.expect(r" 302 ") == ":irc.test 302 alice :bob=+bob@%s" % C
        alice.send("WHOIS bob")
        lines = alice.collect_until(r" 318 ")
        assert lines[0] == ":irc.test 311 alice bob bob %s * :Bob Real" % C, lines
        assert not any(" 378 " in l for l in lines), lines
        # a mask on the real address matches nobody for a user
        probe = srv.client("probe")
        probe.send("WHO 127.0.0.*")
        assert probe.collect_until(r" 315 ") == [":irc.test 315 probe 127.0.0.* :End of /WHO list"]
        # operators see the address (378, WHOX %i)
        o = srv.client("boss")
        o.send("OPER boss " + PASSWORD)
        o.expect(r" 381 ")
        o.send("WHOIS bob")
        lines = o.collect_until(r" 318 ")
        assert ":irc.test 378 boss bob :is connecting from *@127.0.0.1 127.0.0.1" in lines, lines
        o.send("WHO bob %tnih,9")
        assert o.expect(r" 354 ") == ":irc.test 354 boss 9 127.0.0.1 %s bob" % C
        # KILL: the quit others see, and the victim's ERROR, carry the cloak
        o.send("KILL bob :bye now")
        assert alice.expect(r"QUIT") == ":bob!bob@%s QUIT :Killed (boss (bye now))" % C
        assert bob.expect(r"^ERROR") == "ERROR :Closing Link: %s (Killed (boss (bye now)))" % C
        alice.send("WHOWAS bob")
        assert alice.expect(r" 314 ") == ":irc.test 314 alice bob bob %s * :Bob Real" % C
        # an error path: a nick in use never names the holder's host
        dup = Client(srv.port)
        dup.send("NICK alice")
        dup.expect(r" 433 ")
        alice.sync()
        # (alice's own WHOX row may show her own address)
        leaked = [l for l in alice.log + dup.log if "127.0.0" in l and " 7 #c alice 127.0.0.1 " not in l]
        assert not leaked, leaked


def test_channel_bans_see_only_the_cloak_server_bans_the_address():
    C = cloak(SECRET, "127.0.0.1")
    l24 = C.split(".", 1)[1]
    with running(CONF) as srv:
        op = srv.client("op").join("#b")
        # probing the address with bans matches nothing
        op.send("MODE #b +b *!*@127.0.0.*")
        op.expect(r"MODE #b \+b")
        srv.client("x1").join("#b")
        # the cloak's /24 labels do
        op.send("MODE #b +b *!*@*." + l24)
        op.expect(r"MODE #b \+b")
        x2 = srv.client("x2")
        x2.send("JOIN #b")
        assert x2.expect(r" 474 ") == ":irc.test 474 x2 #b :Cannot join channel (+b)"
        # a server ban on the real address (operators may use it)
        o = srv.client("boss")
        o.send("OPER boss " + PASSWORD)
        o.expect(r" 381 ")
        o.send("KLINE *!*@127.0.0.7 :by address")
        o.expect(r"Added K-line")
        c = Client(srv.port, source="127.0.0.7")
        c.send("NICK k7")
        c.send("USER k7 0 * :x")
        assert c.expect(r"^ERROR") == "ERROR :Closing Link: %s (K-lined: by address)" % cloak(SECRET, "127.0.0.7")


def test_generated_key_kept_and_cloaks_stable_across_restart():
    state = tempfile.mkdtemp(prefix="ircmini-cloak-")
    try:
        conf = "[server]\nname = irc.test\nnetwork = TestNet\nstate_directory = %s\n[cloak]\nenabled = yes\n" % state
        with running(conf) as srv:
            first = srv.client("u1").log[0]
        keyfile = os.path.join(state, "cloak.key")
        assert stat.S_IMODE(os.stat(keyfile).st_mode) == 0o600
        key = open(keyfile).read().strip()
        assert re.fullmatch(r"[0-9a-f]{64}", key), key
        assert first == ":irc.test 001 u1 :Welcome to the TestNet IRC Network u1!u1@%s" % cloak(key, "127.0.0.1")
        with running(conf) as srv:
            assert srv.client("u1").log[0] == first, "the cloak changed across a restart"
    finally:
        shutil.rmtree(state)


if __name__ == "__main__":
    run_tests(globals())

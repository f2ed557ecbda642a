#!/usr/bin/env python3
"""End-to-end tests of the core protocol (issue 2): registration, NICK,
JOIN/PART/QUIT fan-out, PRIVMSG/NOTICE, PING/PONG, framing, errors."""
import socket
import time

from ircharness import Client, running, run_tests


def test_registration_burst():
    with running() as srv:
        c = srv.client()
        c.send("NICK alice")
        c.send("USER alice 0 * :Alice A")
        lines = c.collect_until(r" (376|422) ")
        nums = [l.split()[1] for l in lines]
        for n in ["001", "002", "003", "004", "005", "251", "254", "255", "265", "266"]:
            assert n in nums, (n, lines)
        assert lines[0].startswith(":irc.test 001 alice :"), lines[0]
        isupport = " ".join(l for l in lines if " 005 " in l)
        for tok in ["CASEMAPPING=rfc1459", "CHANTYPES=#", "PREFIX=(ov)@+", "CHANMODES=",
                    "NICKLEN=30", "CHANNELLEN=50", "TOPICLEN=390", "NETWORK=TestNet", "TARGMAX="]:
            assert tok in isupport, tok
        assert "422" in nums  # no MOTD configured


def test_registration_user_first_and_motd():
    with running("[server]\nname = irc.test\nmotd = line one\nmotd = line two\n") as srv:
        c = srv.client()
        c.send("USER bob 0 * :Bob")
        c.send("NICK bob")
        lines = c.collect_until(r" 376 ")
        assert any(" 375 " in l for l in lines)
        motd = [l for l in lines if " 372 " in l]
        assert motd[0].endswith(":- line one") and motd[1].endswith(":- line two"), motd


def test_commands_before_registration_get_451():
    with running() as srv:
        c = srv.client()
        c.send("CAP LS 302")
        c.expect(r"CAP \* LS")
        c.send("JOIN :")
        c.expect(r" 451 \* :You have not registered")
        c.send("PRIVMSG x :hi")
        c.expect(r" 451 ")
        c.send("NICK irssi1")
        c.send("USER irssi irssi 127.0.0.1 :Irssi")
        c.quiet(r" 001 ", 0.3)  # CAP negotiation holds registration
        c.send("CAP END")
        c.expect(r" 001 irssi1 ")


def test_cap_req_ack_nak():
    with running() as srv:
        c = srv.client()
        c.send("CAP LS 302")
        c.send("NICK w")
        c.send("USER w 0 * :W")
        c.send("CAP REQ :multi-prefix")
        c.expect(r"CAP w ACK :multi-prefix")
        c.send("CAP REQ :multi-prefix sasl")
        c.expect(r"CAP w NAK :multi-prefix sasl")
        c.send("CAP END")
        c.expect(r" 001 w ")
        c.send("CAP LIST")
        c.expect(r"CAP w LIST :.*multi-prefix")


def test_registration_timeout():
    with running("[limits]\nregistration_timeout = 1\n") as srv:
        c = srv.client()
        c.send("NICK slow")
        c.expect(r"^ERROR :Closing Link: .*Registration timeout", 4)
        assert c.wait_closed()


def test_password():
    with running("[server]\nname = irc.test\npassword = sekrit\n") as srv:
        c = srv.client()
        c.send("NICK a")
        c.send("USER a 0 * :A")
        c.expect(r" 464 ")
        c.expect(r"^ERROR ")
        assert c.wait_closed()
        ok = srv.client("b", password="sekrit")
        ok.send("PASS again")
        ok.expect(r" 462 ")


def test_nick_errors_and_collision():
    with running() as srv:
        a = srv.client("Foo[1]")
        b = srv.client()
        b.send("NICK")
        b.expect(r" 431 ")
        b.send("NICK 1abc")
        b.expect(r" 432 \* 1abc ")
        b.send("NICK foo{1}")          # rfc1459: {} are the lower case of []
        b.expect(r" 433 \* foo\{1\} ")
        b.send("NICK " + "x" * 31)
        b.expect(r" 432 ")
        b.send("NICK " + "x" * 30)
        b.send("USER x 0 * :X")
        b.expect(r" 001 " + "x" * 30)
        a.send("NICK FOO{1}")           # case change of one's own nick is allowed
        a.expect(r"^:Foo\[1\]!\S+ NICK :FOO\{1\}")


def test_ascii_casemapping():
    with running("[server]\nname = irc.test\ncasemapping = ascii\n") as srv:
        a = srv.client("foo[1]")
        b = srv.client()
        b.send("NICK foo{1}")          # ascii: [] and {} are different
        b.send("USER b 0 * :B")
        b.expect(r" 001 foo\{1\} ")
        b.send("VERSION")
        b.expect(r"CASEMAPPING=ascii")


def test_nick_change_seen_once_by_each_peer():
    with running() as srv:
        a = srv.client("alice").join("#a").join("#b")
        b = srv.client("bob").join("#a").join("#b")
        c = srv.client("carol").join("#b")
        d = srv.client("dave")
        for x in (a, b, c):
            x.drain(0.1)
        a.send("NICK alicia")
        for x in (a, b, c):
            x.expect(r"^:alice!alice@127.0.0.1 NICK :alicia$")
            x.quiet(r"NICK", 0.3)
        d.quiet(r"NICK", 0.1)


def test_join_part_fanout():
    with running() as srv:
        a = srv.client("alice")
        a.send("JOIN #chan")
        a.expect(r"^:alice!alice@127.0.0.1 JOIN #chan$")
        names = a.collect_until(r" 366 alice #chan :")
        assert any(" 353 alice = #chan :@alice" in l for l in names), names
        b = srv.client("bob")
        b.send("JOIN #Chan")
        b.expect(r"^:bob!bob@127.0.0.1 JOIN #chan$")
        names = b.collect_until(r" 366 ")
        assert any(" 353 bob = #chan :" in l and "@alice" in l and "bob" in l for l in names), names
        a.expect(r"^:bob!bob@127.0.0.1 JOIN #chan$")
        b.send("PART #chan :see you")
        b.expect(r"^:bob!bob@127.0.0.1 PART #chan :see you$")
        a.expect(r"^:bob!bob@127.0.0.1 PART #chan :see you$")
        b.send("PART #chan")
        b.expect(r" 442 bob #chan ")
        b.send("PART #nowhere")
        b.expect(r" 403 bob #nowhere ")


def test_join_errors_and_lists():
    with running("[limits]\nmax_channels = 2\n") as srv:
        a = srv.client("alice")
        a.send("JOIN")
        a.expect(r" 461 alice JOIN ")
        a.send("JOIN nochan")
        a.expect(r" 403 alice nochan ")
        a.send("JOIN #one,#two,#three")
        a.expect(r"JOIN #one")
        a.expect(r"JOIN #two")
        a.expect(r" 405 alice #three ")
        a.send("JOIN 0")
        a.expect(r"PART #")
        a.expect(r"PART #")
        a.send("NAMES #one")
        a.expect(r" 366 alice #one ")
        a.send("LIST")
        lines = a.collect_until(r" 323 ")
        assert not any(" 322 " in l for l in lines), lines


def test_empty_channel_disappears():
    with running() as srv:
        a = srv.client("alice").join("#gone")
        a.send("PART #gone")
        a.expect("PART")
        b = srv.client("bob").join("#gone")
        # bob re-creates it and is op
        b.send("NAMES #gone")
        b.expect(r" 353 bob = #gone :@bob$")


def test_privmsg_notice_channel_and_user():
    with running() as srv:
        a = srv.client("alice").join("#c")
        b = srv.client("bob").join("#c")
        a.drain()
        a.send("PRIVMSG #c :hello there")
        b.expect(r"^:alice!alice@127.0.0.1 PRIVMSG #c :hello there$")
        a.send("PRIVMSG #c :\x01ACTION waves\x01")
        b.expect("^:alice!alice@127.0.0.1 PRIVMSG #c :\x01ACTION waves\x01$")
        a.send("NOTICE #c :note")
        b.expect(r"NOTICE #c :note$")
        a.send("PRIVMSG bob :private")
        b.expect(r"^:alice!alice@127.0.0.1 PRIVMSG bob :private$")
        a.send("NOTICE bob :pn")
        b.expect(r"NOTICE bob :pn$")
        a.quiet(r"PRIVMSG|NOTICE", 0.3)   # sender never gets its own message back
        a.send("PRIVMSG nobody :x")
        a.expect(r" 401 alice nobody ")
        a.send("PRIVMSG")
        a.expect(r" 411 ")
        a.send("PRIVMSG bob")
        a.expect(r" 412 ")
        a.send("PRIVMSG bob :")
        a.expect(r" 412 ")
        a.send("NOTICE nobody :x")
        a.send("NOTICE")
        a.quiet(r" 4\d\d ", 0.3)          # NOTICE never triggers an error
        a.send("PRIVMSG alice,bob :both")
        a.expect(r"PRIVMSG alice :both")
        b.expect(r"PRIVMSG bob :both")


def test_privmsg_outsider_and_targmax():
    with running() as srv:
        a = srv.client("alice").join("#c")
        o = srv.client("out")
        o.send("PRIVMSG #c :from outside")
        o.expect(r" 404 out #c ")
        a.quiet("from outside", 0.2)
        o.send("PRIVMSG a,b,c,d,e :x")
        o.expect(r" 407 ")


def test_quit_seen_once_and_error():
    with running() as srv:
        a = srv.client("alice").join("#a").join("#b")
        b = srv.client("bob").join("#a").join("#b")
        b.drain()
        a.send("QUIT :bye now")
        a.expect(r"^ERROR :Closing Link: .*bye now")
        assert a.wait_closed()
        b.expect(r"^:alice!alice@127.0.0.1 QUIT :Quit: bye now$")
        b.quiet("QUIT", 0.3)


def test_abrupt_disconnect_quit_reason():
    with running() as srv:
        a = srv.client("alice").join("#a")
        b = srv.client("bob").join("#a")
        b.drain()
        a.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        a.sock.close()  # RST
        b.expect(r"^:alice!\S+ QUIT :(Connection reset by peer|Connection closed)$")
        c = srv.client("carol").join("#a")
        c.send("QUIT")
        b.expect(r"^:carol!\S+ QUIT :Client Quit$")


def test_ping_pong():
    with running() as srv:
        a = srv.client("alice")
        a.send("PING LAG12345")
        a.expect(r"^:irc.test PONG irc.test :LAG12345$")
        a.send("PING :irc.test")
        a.expect(r"^:irc.test PONG irc.test :irc.test$")
        a.send("PING")
        a.expect(r" 409 ")
        a.send("ping lower")
        a.expect(r"PONG irc.test :lower$")


def test_server_pings_idle_and_drops():
    with running("[limits]\nping_interval = 5\nping_timeout = 5\n") as srv:
        a = srv.client("alice").join("#x")
        b = srv.client("bob").join("#x")
        a.expect(r"^PING :irc.test$", 8)
        a.send("PONG :irc.test")
        b.expect(r"^PING :irc.test$", 8)
        # bob stays silent: dropped after ping_timeout, alice sees why
        a.expect(r"^:bob!\S+ QUIT :Ping timeout: 5 seconds$", 9)


def test_unknown_command_and_case():
    with running() as srv:
        a = srv.client("alice")
        a.send("FOOBAR x")
        a.expect(r" 421 alice FOOBAR :Unknown command")
        a.send("privmsg alice :lower case works")
        a.expect(r"PRIVMSG alice :lower case works")


def test_framing_split_merged_lf_only():
    with running() as srv:
        a = srv.client()
        a.sendraw(b"NI")
        time.sleep(0.05)
        a.sendraw(b"CK split\r")
        time.sleep(0.05)
        a.sendraw(b"\nUSER s 0 * :S\nPING :a\r\nPING :b\n\r\n\n")
        a.expect(r" 001 split ")
        a.expect(r"PONG irc.test :a$")
        a.expect(r"PONG irc.test :b$")


def test_overlong_line_417_connection_lives():
    with running() as srv:
        a = srv.client("alice")
        b = srv.client("bob")
        a.send("PRIVMSG bob :" + "x" * 600)
        a.expect(r" 417 alice :Input line was too long")
        a.send("PRIVMSG bob :" + "y" * (510 - len("PRIVMSG bob :")))  # exactly 510 + CRLF
        b.expect(r"PRIVMSG bob :y+$")
        a.sendraw(b"PRIVMSG bob :" + b"z" * 3000)   # long partial, no newline yet
        a.expect(r" 417 ")
        a.sendraw(b"zzz\r\nPING :alive\r\n")
        a.expect(r"PONG irc.test :alive$")
        b.quiet("zzz", 0.2)


def test_topic_names_whois_basics():
    with running() as srv:
        a = srv.client("alice", realname="Alice Real").join("#t")
        b = srv.client("bob").join("#t")
        a.drain()
        b.send("TOPIC #t")
        b.expect(r" 331 bob #t :No topic is set")
        b.send("TOPIC #t :not op")
        b.expect(r" 482 bob #t ")
        a.send("TOPIC #t :Hello world")
        a.expect(r"^:alice!alice@127.0.0.1 TOPIC #t :Hello world$")
        b.expect(r"^:alice!alice@127.0.0.1 TOPIC #t :Hello world$")
        b.send("TOPIC #t")
        b.expect(r" 332 bob #t :Hello world$")
        b.expect(r" 333 bob #t alice!alice@127.0.0.1 \d+$")
        c = srv.client("carol")
        c.send("JOIN #t")
        c.expect(r" 332 carol #t :Hello world")
        c.expect(r" 366 ")
        b.send("NAMES #t")
        lines = b.collect_until(r" 366 bob #t ")
        assert any("@alice" in l and "bob" in l and "carol" in l for l in lines), lines
        b.send("WHOIS alice")
        b.expect(r" 311 bob alice alice 127.0.0.1 \* :Alice Real$")
        b.expect(r" 319 bob alice :@#t$")
        b.expect(r" 312 bob alice irc.test ")
        b.expect(r" 318 bob alice ")
        b.send("WHOIS nobody")
        b.expect(r" 401 bob nobody ")
        b.expect(r" 318 bob nobody ")


def test_irssi_channel_sync_queries():
    with running() as srv:
        a = srv.client("irssi1").join("#test")
        a.send("MODE irssi1 +i")
        a.expect(r"^:irssi1!irssi1@127.0.0.1 MODE irssi1 :\+i$")
        a.send("MODE irssi1")
        a.expect(r" 221 irssi1 \+i$")
        a.send("MODE #test")
        a.expect(r" 324 irssi1 #test \+nt$")
        a.expect(r" 329 irssi1 #test \d+$")
        a.send("WHO #test")
        a.expect(r" 352 irssi1 #test irssi1 127.0.0.1 irc.test irssi1 H@ :0 Test User$")
        a.expect(r" 315 irssi1 #test ")
        a.send("MODE #test b")
        a.expect(r" 368 irssi1 #test ")
        a.send("WHO #test %tcuhnfdar,743")
        a.expect(r" 354 irssi1 743 #test irssi1 127.0.0.1 irssi1 H@ 0 0 :Test User$")
        a.expect(r" 315 ")


def test_shutdown_sends_error():
    with running() as srv:
        a = srv.client("alice")
        u = srv.client()
        u.send("NICK")           # connected, never registered
        u.expect(r" 431 ")
        srv.proc.terminate()
        a.expect(r"^ERROR :Closing Link: .*Server shutting down")
        u.expect(r"^ERROR :Closing Link: .*Server shutting down")
        assert a.wait_closed() and u.wait_closed()
        assert srv.proc.wait(5) == 0
        srv.exited_ok = True


if __name__ == "__main__":
    run_tests(globals())

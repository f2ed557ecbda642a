#!/usr/bin/env python3
"""irssi in tmux against a freshly started server; see README.md here."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (PEER_HOST, Test, Server, WireProxy, Peer, Tmux, need_programs, find_errors,  # noqa: E402
                 irssi_argv, CLIENT_ENV, fail, poll)

NICK, NICK2 = "irssi1", "irssi2"
T = 10          # seconds allowed for any single step


def body(t):
    need_programs(t, "irssi", "tmux")
    srv = Server(t).start()
    wire = WireProxy(t, srv.port)

    home = t.path("home")
    tm = Tmux(t, width=200, height=200)
    # HOME too, so that nothing is written to the real home directory.
    tm.start(irssi_argv(home, wire.port, NICK), env=dict(CLIENT_ENV, HOME=home))

    # -- welcome -----------------------------------------------------------
    w = wire.wait("S>", r"^:\S+ 001 ", T, what="welcome")
    text = w.split(" :", 1)[1] if " :" in w else w.split(" ", 3)[-1]
    tm.wait(r"-!- " + re.escape(text.strip()), T, "welcome (001) text shown")
    t.ok("welcome shown: %s" % text.strip())
    wire.wait("S>", r"^:\S+ (376|422) ", T, what="end of MOTD")

    # -- join ----------------------------------------------------------------
    tm.send("/join #test")
    tm.wait(r"-!- %s \[[^]]*\] has joined #test" % NICK, T, "own join shown")
    tm.wait(r"^\[#test\]", T, "channel window active")
    # irssi's channel sync: MODE #test, WHO #test, MODE #test b, each waiting
    # for the previous reply; the line appears when all were answered
    tm.wait(r"-!- Irssi: Join to #test was synced", T, "channel sync (MODE/WHO/MODE b answered)")
    t.ok("#test joined, channel window active, channel synced")

    peer = Peer(t, srv.port)
    m = peer.mark()
    peer.send("JOIN #test")
    peer.wait(r" 366 peer1 #test ", T, m, "peer join")
    tm.wait(r"-!- peer1 \[~?peer@[^]]*\] has joined #test", T, "peer's join shown")
    t.ok("peer's join shown")

    # -- nick list -------------------------------------------------------------
    tm.send("/names")
    tm.wait(r"\[Users #test\]\s*\n.*(\[.%s\].*\[.peer1\]|\[.peer1\].*\[.%s\])" % (NICK, NICK),
            T, "/names shows both users")
    tm.wait(r"Total of 2 nicks", T, "/names total")
    t.ok("/names shows both users")

    # -- messages both ways -------------------------------------------------------
    peer.send("PRIVMSG #test :hello from peer")
    tm.wait(r"<.?peer1> hello from peer$", T, "peer's message shown")
    t.ok("peer's message shown")

    m = peer.mark()
    tm.send("hello from irssi")
    peer.wait(r"^:%s!\S+ PRIVMSG #test :hello from irssi$" % NICK, T, m, "typed message")
    tm.wait(r"<.?%s> hello from irssi$" % NICK, T, "own message shown")
    t.ok("typed message arrives at the peer")

    m = peer.mark()
    tm.send("/me waves")
    peer.wait(r"^:%s!\S+ PRIVMSG #test :\x01ACTION waves\x01$" % NICK, T, m, "/me")
    tm.wait(r"\* %s waves$" % NICK, T, "own action shown")
    peer.send("PRIVMSG #test :\x01ACTION waves back\x01")
    tm.wait(r"\* peer1 waves back$", T, "peer's action shown")
    peer.send("NOTICE #test :notice from peer")
    tm.wait(r"-peer1:#test- notice from peer$", T, "peer's notice shown")
    t.ok("/me and actions/notices both ways")

    # -- topic -------------------------------------------------------------------
    m = peer.mark()
    tm.send("/topic new topic from irssi")
    peer.wait(r"^:%s!\S+ TOPIC #test :new topic from irssi$" % NICK, T, m, "/topic")
    tm.wait(r"%s changed the topic of #test to: new topic from irssi$" % NICK, T,
            "topic change shown")
    mw = wire.mark()
    tm.send("/topic")
    tm.wait(r"Topic for #test: new topic from irssi$", T, "topic query shown")
    tm.wait(r"Topic set by %s" % NICK, T, "topic setter shown")
    t.ok("/topic sets (peer sees TOPIC) and shows the topic")

    # -- whois ------------------------------------------------------------------
    mw = wire.mark()
    tm.send("/whois peer1")
    wire.wait("C>", r"^WHOIS peer1", T, mw, "WHOIS sent")
    # irssi prints WHOIS replies in the status window (1)
    wire.wait("S>", r"^:\S+ 318 ", T, mw, "end of WHOIS (318)")
    tm.send("/window 1")
    tm.wait(r"^ \[\d\d:\d\d\] .*\[1:", T, "window 1 active", history=False)
    tm.wait(r"-!- peer1 \[~?peer@" + PEER_HOST + r"\]$", T, "whois header (311)")
    tm.wait(r"-!-  ircname  : Peer Participant$", T, "whois realname (311)")
    tm.wait(r"-!-  channels : .?#test", T, "whois channels (319)")
    tm.wait(r"-!-  server   : irc\.test", T, "whois server (312)")
    tm.wait(r"-!- End of WHOIS", T, "whois end (318)")
    t.ok("/whois peer1 shown")
    tm.send("/window 2")
    tm.wait(r"^ \[\d\d:\d\d\] .*\[2:", T, "window 2 active", history=False)

    # -- nick changes -------------------------------------------------------------
    m = peer.mark()
    tm.send("/nick " + NICK2)
    peer.wait(r"^:%s!\S+ NICK :?%s$" % (NICK, NICK2), T, m, "/nick")
    tm.wait(r"You're now known as %s$" % NICK2, T, "own nick change shown")
    peer.send("NICK peer2")
    tm.wait(r"peer1 is now known as peer2$", T, "peer's nick change shown")
    t.ok("nick changes both ways")

    # -- lag check: irssi sends PING <server> ~7 s after connecting ---------------
    wire.wait("C>", r"^PING ", 15, what="irssi lag check PING")
    wire.wait("S>", r"^(:\S+ )?PONG ", T, what="PONG to irssi's lag check")
    t.ok("lag check PING answered with PONG")

    # -- part ------------------------------------------------------------------------
    m = peer.mark()
    tm.send("/part #test bye for now")
    peer.wait(r"^:%s!\S+ PART #test( :?bye for now)?$" % NICK2, T, m, "/part")
    tm.wait(r"-!- %s \[[^]]*\] has left #test \[bye for now\]" % NICK2, T, "own part shown")
    t.ok("/part: peer sees PART, screen shows it")

    # rejoin, so that the peer shares a channel and sees the QUIT
    m = peer.mark()
    tm.send("/join #test")
    peer.wait(r"^:%s!\S+ JOIN :?#test$" % NICK2, T, m, "rejoin")
    tm.wait(r"-!- %s \[[^]]*\] has joined #test\n.*Topic for #test: new topic from irssi\n"
            r".*Topic set by %s.*\n.*\[Users #test\]\n.*\[ ?%s\]" % (NICK2, NICK, NICK2), T,
            "rejoin shown with topic (332/333) and names")
    tm.wait(r"-!- %s \[[^]]*\] has joined #test\n(.*\n)*.*-!- Irssi: Join to #test was synced" % NICK2,
            T, "channel sync after rejoin")
    t.ok("rejoin: peer sees JOIN, screen shows topic and names, channel synced")

    # -- error check over every window --------------------------------------------
    # (irssi keeps window 2 after the part, the rejoin opened window 3)
    for win in ("1", "2", "3"):
        tm.send("/window " + win)
        tm.wait(r"^ \[\d\d:\d\d\] .*\[%s:" % win, T, "window %s active" % win)
        tm.save("window-" + win)
    bad = find_errors("\n".join(tm.seen))
    if bad:
        fail("error lines on screen:\n    " + "\n    ".join(bad))
    t.ok("no unknown-command / error lines on screen")

    # -- quit ---------------------------------------------------------------------
    m = peer.mark()
    tm.send("/quit gone fishing")
    peer.wait(r"^:%s!\S+ QUIT :.*gone fishing" % NICK2, T, m, "/quit")
    if not poll(tm.pane_dead, T):
        tm.save("after-quit")
        fail("irssi still running after /quit")
    t.ok("/quit: peer sees QUIT, irssi exits")

    if wire.conns != 1:
        fail("irssi connected %d times (reconnects?), see wire.log" % wire.conns)
    t.log("client sent: " + " ".join(wire.client_commands()))
    srv.finish()


if __name__ == "__main__":
    Test("irssi").run(body)

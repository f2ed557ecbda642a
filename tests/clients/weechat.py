#!/usr/bin/env python3
"""WeeChat in tmux against a freshly started server; see README.md here."""

import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (PEER_HOST, Test, Server, WireProxy, Peer, Tmux, need_programs,  # noqa: E402
                 find_errors, ERROR_PATTERNS, weechat_argv, weechat_binary,
                 CLIENT_ENV, fail, poll)

NICK, NICK2 = "weechat1", "weechat2"
T = 10          # seconds allowed for any single step
# A chat line as WeeChat draws it: "HH:MM:SS <prefix> | <message>" (the buflist
# bar is on the left of it, the nicklist on the right).
L = r"\d\d:\d\d:\d\d +"


def body(t):
    if not weechat_binary():
        t.skip("missing program: weechat (Debian package weechat-curses)")
    need_programs(t, "tmux")
    srv = Server(t).start()
    wire = WireProxy(t, srv.port)

    home = t.path("home")
    tm = Tmux(t, width=200, height=120)
    tm.start(weechat_argv(home, wire.port, NICK), env=dict(CLIENT_ENV, HOME=home))

    # -- welcome (server buffer, merged with the core buffer) ----------------------
    w = wire.wait("S>", r"^:\S+ 001 ", T, what="welcome")
    text = w.split(" :", 1)[1] if " :" in w else w.split(" ", 3)[-1]
    tm.wait(L + r"test +-- \| " + re.escape(text.strip()), T, "welcome (001) text shown")
    t.ok("welcome shown: %s" % text.strip())
    wire.wait("S>", r"^:\S+ (376|422) ", T, what="end of MOTD")

    # -- join ------------------------------------------------------------------------
    tm.send("/join #test")
    tm.wait(L + r"--> \| %s (\([^)]*\) )?\([^)]*\) has joined #test" % NICK, T, "own join shown")
    tm.wait(r"\[irc/test\] 2:#test", T, "#test buffer active", history=False)
    t.ok("#test joined, channel buffer active")

    peer = Peer(t, srv.port)
    m = peer.mark()
    peer.send("JOIN #test")
    peer.wait(r" 366 peer1 #test ", T, m, "peer join")
    tm.wait(L + r"--> \| peer1 (\([^)]*\) )?\(~?peer@[^)]*\) has joined #test", T, "peer's join shown")
    tm.wait(r"│ ?peer1 *$", T, "peer in the nicklist bar")
    tm.wait(r"│@%s *$" % NICK, T, "own nick (op) in the nicklist bar")
    t.ok("peer's join shown, nicklist shows both users")

    # -- names ---------------------------------------------------------------------
    mw = wire.mark()
    tm.send("/names")
    wire.wait("C>", r"^NAMES #test", T, mw, "NAMES sent")
    tm.wait(L + r"-- \| Nicks #test: \[(@%s peer1|peer1 @%s)\]" % (NICK, NICK), T,
            "/names shows both users")
    t.ok("/names shows both users")

    # -- messages both ways -------------------------------------------------------------
    peer.send("PRIVMSG #test :hello from peer")
    tm.wait(L + r"peer1 \| hello from peer", T, "peer's message shown")
    t.ok("peer's message shown")

    m = peer.mark()
    tm.send("hello from weechat")
    peer.wait(r"^:%s!\S+ PRIVMSG #test :hello from weechat$" % NICK, T, m, "typed message")
    tm.wait(L + r"@?%s \| hello from weechat" % NICK, T, "own message shown")
    t.ok("typed message arrives at the peer")

    m = peer.mark()
    tm.send("/me waves")
    peer.wait(r"^:%s!\S+ PRIVMSG #test :\x01ACTION waves\x01$" % NICK, T, m, "/me")
    tm.wait(L + r"\* \| %s waves" % NICK, T, "own action shown")
    peer.send("PRIVMSG #test :\x01ACTION waves back\x01")
    tm.wait(L + r"\* \| peer1 waves back", T, "peer's action shown")
    peer.send("NOTICE #test :notice from peer")
    tm.wait(L + r"-- \| Notice\(peer1\)[^:]*: notice from peer", T, "peer's notice shown")
    t.ok("/me and actions/notices both ways")

    # -- topic -------------------------------------------------------------------------
    m = peer.mark()
    tm.send("/topic new topic from weechat")
    peer.wait(r"^:%s!\S+ TOPIC #test :new topic from weechat$" % NICK, T, m, "/topic")
    tm.wait(L + r"-- \| %s has changed topic for #test to \"new topic from weechat\"" % NICK,
            T, "topic change shown")
    mw = wire.mark()
    tm.send("/topic")
    wire.wait("C>", r"^TOPIC #test$", T, mw, "topic query sent")
    wire.wait("S>", r"^:\S+ 333 ", T, mw, "topic setter (333)")
    tm.wait(L + r"-- \| Topic for #test is \"new topic from weechat\"", T, "topic query shown")
    tm.wait(L + r"-- \| Topic set by %s" % NICK, T, "topic setter shown")
    t.ok("/topic sets (peer sees TOPIC) and shows the topic")

    # -- whois (shown in the server buffer) ------------------------------------------------
    mw = wire.mark()
    tm.send("/whois peer1")
    wire.wait("C>", r"^WHOIS peer1", T, mw, "WHOIS sent")
    wire.wait("S>", r"^:\S+ 318 ", T, mw, "end of WHOIS (318)")
    tm.send("/buffer 1")
    tm.wait(r"\[irc/test\] 1:", T, "server buffer active", history=False)
    tm.wait(L + r"test +-- \| \[peer1\] \(~?peer@" + PEER_HOST + r"\): Peer Participant", T,
            "whois user (311)")
    tm.wait(L + r"test +-- \| \[peer1\] .?#test", T, "whois channels (319)")
    tm.wait(L + r"test +-- \| \[peer1\] irc\.test ", T, "whois server (312)")
    tm.wait(L + r"test +-- \| \[peer1\] End of", T, "whois end (318)")
    t.ok("/whois peer1 shown")
    tm.send("/buffer #test")
    tm.wait(r"\[irc/test\] 2:#test", T, "#test buffer active", history=False)

    # -- nick changes ----------------------------------------------------------------------
    m = peer.mark()
    tm.send("/nick " + NICK2)
    peer.wait(r"^:%s!\S+ NICK :?%s$" % (NICK, NICK2), T, m, "/nick")
    tm.wait(L + r"-- \| You are now known as %s" % NICK2, T, "own nick change shown")
    peer.send("NICK peer2")
    tm.wait(L + r"-- \| peer1 is now known as peer2", T, "peer's nick change shown")
    tm.wait(r"│ ?peer2 *$", T, "nicklist bar updated")
    t.ok("nick changes both ways")

    # -- lag check: PING <address> -------------------------------------------------------
    ping = wire.wait("C>", r"^PING ", T, what="WeeChat lag check PING")
    wire.wait("S>", r"^(:\S+ )?PONG ", T, what="PONG to WeeChat's lag check (%s)" % ping)
    t.ok("lag check '%s' answered with PONG" % ping)

    # -- part and rejoin ---------------------------------------------------------------------
    m = peer.mark()
    tm.send("/part #test bye for now")
    peer.wait(r"^:%s!\S+ PART #test( :?bye for now)?$" % NICK2, T, m, "/part")
    tm.wait(L + r"<-- \| %s \([^)]*\) has left #test \(bye for now\)" % NICK2, T,
            "own part shown")
    t.ok("/part: peer sees PART, screen shows it")

    m = peer.mark()
    mw = wire.mark()
    tm.send("/join #test")
    peer.wait(r"^:%s!\S+ JOIN :?#test$" % NICK2, T, m, "rejoin")
    # WeeChat follows a join with MODE #test: let it be answered
    wire.wait("S>", r"^:\S+ (324|4\d\d) ", T, mw, "reply to MODE #test after the rejoin")
    tm.wait((L + r"--> \| %s (\([^)]*\) )?\([^)]*\) has joined #test.*\n(.*\n)*"
             r".*" + L + r"-- \| Topic for #test is \"new topic from weechat\".*\n(.*\n)*"
             r".*" + L + r"-- \| Channel #test: 2 nicks") % NICK2, T,
            "rejoin shown with topic (332) and names")
    t.ok("rejoin: peer sees JOIN, screen shows topic and names")

    # -- error check: every buffer on screen, and WeeChat's logs of all buffers ---------------
    for buf, rx in (("1", r"1:"), ("#test", r"2:#test")):
        tm.send("/buffer " + buf)
        tm.wait(r"\[irc/test\] " + rx, T, "buffer %s active" % buf, history=False)
        tm.save("buffer-" + buf.strip("#"))
    logs = ""
    for p in sorted(glob.glob(os.path.join(home, "logs", "*.weechatlog"))):
        with open(p, errors="replace") as f:
            logs += f.read()
    # "=!=" is the prefix WeeChat gives to error lines
    bad = find_errors("\n".join(tm.seen) + "\n" + logs, ERROR_PATTERNS + [r"=!="])
    if bad:
        fail("error lines on screen:\n    " + "\n    ".join(bad))
    t.ok("no unknown-command / error lines on screen or in the logs")

    # -- quit ---------------------------------------------------------------------------
    m = peer.mark()
    tm.send("/quit gone fishing")
    peer.wait(r"^:%s!\S+ QUIT :.*gone fishing" % NICK2, T, m, "/quit")
    if not poll(tm.pane_dead, T):
        tm.save("after-quit")
        fail("WeeChat still running after /quit")
    t.ok("/quit: peer sees QUIT, WeeChat exits")

    if wire.conns != 1:
        fail("WeeChat connected %d times (reconnects?), see wire.log" % wire.conns)
    t.log("client sent: " + " ".join(wire.client_commands()))
    srv.finish()


if __name__ == "__main__":
    Test("weechat").run(body)

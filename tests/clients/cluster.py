#!/usr/bin/env python3
"""Cluster mode with real clients (issue 10): a redis-server on a free
loopback port, two ircmini nodes (irc1.test, irc2.test) of one network
sharing it, irssi connected to node 1 and WeeChat to node 2, both in one
channel.  Checked on both screens: each sees the other join and in NAMES /
the nick list, a line typed in either appears in the other, /whois of the
other shows the other node's server name (312), a /topic set on either is
seen on the other, irssi's /quit is seen in WeeChat.  See README.md."""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from lib import (Test, Server, WireProxy, Tmux, need_programs, find_errors,  # noqa: E402
                 ERROR_PATTERNS, irssi_argv, weechat_argv, weechat_binary, default_ircmini,
                 CLIENT_ENV, fail, poll)

T = 10                      # seconds allowed for any single step
CHAN = "#net"
A, B = "alice", "bob"       # irssi on node 1, WeeChat on node 2
L = r"\d\d:\d\d:\d\d +"     # WeeChat's time column


class Node(Server):
    """One ircmini node of the cluster: own name, SID, config, log, state."""

    def __init__(self, t, i, redis_port):
        super().__init__(t)
        self.i = i
        self.NAME = "irc%d.test" % i
        self.LOG = "node%d.stderr" % i
        self.redis_port = redis_port

    def _ircmini_conf(self):
        conf = self.t.path("node%d.conf" % self.i)
        state = self.t.path("node%d-state" % self.i)
        os.makedirs(state, exist_ok=True)
        with open(conf, "w") as f:
            f.write("[server]\nname = %s\nnetwork = TestNet\nsid = %dAA\nstate_directory = %s\n"
                    "[listen]\naddress = 127.0.0.1:%d\n"
                    "[limits]\nexempt = 127.0.0.0/8\n"
                    "[cluster]\nredis = 127.0.0.1:%d\nheartbeat = 1\nnode_timeout = 3\n"
                    % (self.NAME, self.i, state, self.port, self.redis_port))
        return conf


def body(t):
    need_programs(t, "irssi", "tmux", "redis-server")
    if not weechat_binary():
        t.skip("missing program: weechat (Debian package weechat-curses)")
    binary = default_ircmini()
    if not os.access(binary, os.X_OK):
        t.hard("server binary %s not found (build it or set IRCMINI)" % binary)
    feats = subprocess.run([binary, "-V"], capture_output=True, text=True, timeout=30).stdout
    if not re.search(r"\bcluster\b", feats):
        t.skip("%s -V does not list cluster (built without hiredis)" % binary)

    from test_cluster import Redis
    os.makedirs(t.path("redis"))
    redis = Redis(datadir=t.path("redis"), args=("--appendonly", "no"))
    t.at_cleanup(redis.stop)
    t.log("redis-server on 127.0.0.1:%d (pid %d)" % (redis.port, redis.proc.pid))
    n1 = Node(t, 1, redis.port).start()
    n2 = Node(t, 2, redis.port).start()
    w1 = WireProxy(t, n1.port, "wire-irssi.log")
    w2 = WireProxy(t, n2.port, "wire-weechat.log")

    home1, home2 = t.path("irssi-home"), t.path("weechat-home")
    irssi = Tmux(t, width=200, height=200)
    irssi.start(irssi_argv(home1, w1.port, A), env=dict(CLIENT_ENV, HOME=home1))
    wee = Tmux(t, width=200, height=120)
    wee.start(weechat_argv(home2, w2.port, B), env=dict(CLIENT_ENV, HOME=home2))
    w1.wait("S>", r"^:irc1\.test 001 %s " % A, T, what="irssi welcomed by node 1")
    w2.wait("S>", r"^:irc2\.test 001 %s " % B, T, what="WeeChat welcomed by node 2")
    irssi.wait(r"-!- Welcome to", T, "irssi shows the welcome")
    wee.wait(L + r"test +-- \| Welcome to", T, "WeeChat shows the welcome")
    t.ok("irssi registered on irc1.test, WeeChat on irc2.test")

    # -- join: alice first (op), then bob ---------------------------------------------
    irssi.send("/join " + CHAN)
    irssi.wait(r"-!- Irssi: Join to %s was synced" % CHAN, T, "irssi: channel synced")
    wee.send("/join " + CHAN)
    wee.wait(L + r"--> \| %s (\([^)]*\) )?\([^)]*\) has joined %s" % (B, CHAN), T,
             "WeeChat: own join")
    irssi.wait(r"-!- %s \[~?weechat@[^]]*\] has joined %s" % (B, CHAN), T,
               "irssi sees bob (node 2) join")
    wee.wait(r"│@%s *$" % A, T, "WeeChat nick list: @alice (node 1)")
    wee.wait(r"│ ?%s *$" % B, T, "WeeChat nick list: bob")
    t.ok("both joined %s; irssi saw bob's JOIN, WeeChat's nick list shows @alice and bob" % CHAN)

    irssi.send("/names")
    irssi.wait(r"\[Users %s\]\s*\n.*(\[.%s\].*\[.%s\]|\[.%s\].*\[.%s\])" % (CHAN, A, B, B, A),
               T, "irssi /names shows both")
    wee.send("/names")
    wee.wait(L + r"-- \| Nicks %s: \[(@%s %s|%s @%s)\]" % (CHAN, A, B, B, A), T,
             "WeeChat /names shows both")
    t.ok("/names on both nodes shows both users")

    # -- messages both ways ---------------------------------------------------------------
    irssi.send("hello from irssi on node 1")
    wee.wait(L + r"@?%s \| hello from irssi on node 1" % A, T, "WeeChat shows irssi's line")
    t.ok("a line typed in irssi (node 1) appears in WeeChat (node 2)")
    wee.send("hello from weechat on node 2")
    irssi.wait(r"<.?%s> hello from weechat on node 2$" % B, T, "irssi shows WeeChat's line")
    t.ok("a line typed in WeeChat (node 2) appears in irssi (node 1)")

    # -- whois: the other's server is the other node --------------------------------------
    irssi.send("/whois " + B)
    w1.wait("S>", r"^:\S+ 318 ", T, what="end of WHOIS (318) to irssi")
    irssi.send("/window 1")
    irssi.wait(r"^ \[\d\d:\d\d\] .*\[1:", T, "irssi window 1 active", history=False)
    irssi.wait(r"-!-  server   : irc2\.test", T, "irssi /whois bob: server irc2.test")
    t.ok("irssi /whois bob shows server irc2.test")
    irssi.send("/window 2")
    irssi.wait(r"^ \[\d\d:\d\d\] .*\[2:", T, "irssi window 2 active", history=False)

    wee.send("/whois " + A)
    w2.wait("S>", r"^:\S+ 318 ", T, what="end of WHOIS (318) to WeeChat")
    wee.send("/buffer 1")
    wee.wait(r"\[irc/test\] 1:", T, "WeeChat server buffer active", history=False)
    wee.wait(L + r"test +-- \| \[%s\] irc1\.test " % A, T, "WeeChat /whois alice: irc1.test")
    t.ok("WeeChat /whois alice shows server irc1.test")
    wee.send("/buffer " + CHAN)
    wee.wait(r"\[irc/test\] 2:%s" % CHAN, T, "WeeChat channel buffer active", history=False)

    # -- topic both ways (+t: alice, the op, gives bob +o across the nodes first) -------
    irssi.send("/topic topic from irssi")
    wee.wait(L + r"-- \| %s has changed topic for %s to \"topic from irssi\"" % (A, CHAN), T,
             "WeeChat sees irssi's topic")
    t.ok("/topic set in irssi (node 1) shown in WeeChat (node 2)")
    irssi.send("/op " + B)
    wee.wait(L + r"-- \| Mode %s \[\+o %s\] by %s" % (CHAN, B, A), T, "WeeChat sees +o bob")
    wee.wait(r"│@%s *$" % B, T, "WeeChat nick list: @bob")
    wee.send("/topic topic from weechat")
    irssi.wait(r"%s changed the topic of %s to: topic from weechat$" % (B, CHAN), T,
               "irssi sees WeeChat's topic")
    t.ok("/op bob from irssi seen in WeeChat; /topic set in WeeChat (node 2) shown in irssi")

    # -- error check on both screens -------------------------------------------------------
    irssi.save("irssi-window-2")
    wee.save("weechat-buffer-net")
    bad = find_errors("\n".join(irssi.seen)) + \
        find_errors("\n".join(wee.seen), ERROR_PATTERNS + [r"=!="])
    if bad:
        fail("error lines on screen:\n    " + "\n    ".join(bad))
    t.ok("no unknown-command / error lines on either screen")

    # -- quit ---------------------------------------------------------------------------
    irssi.send("/quit gone fishing")
    wee.wait(L + r"<-- \| %s \([^)]*\) has quit \(.*gone fishing\)" % A, T,
             "WeeChat sees irssi's /quit")
    if not poll(irssi.pane_dead, T):
        fail("irssi still running after /quit")
    t.ok("/quit in irssi (node 1) shown in WeeChat (node 2)")
    wee.save("weechat-after-quit")
    wee.send("/quit done")
    if not poll(wee.pane_dead, T):
        fail("WeeChat still running after /quit")
    if w1.conns != 1 or w2.conns != 1:
        fail("a client connected more than once (%d, %d), see wire-*.log" % (w1.conns, w2.conns))
    n1.finish()
    n2.finish()


if __name__ == "__main__":
    Test("cluster").run(body)

#!/usr/bin/env python3
"""A real client logs in with SASL PLAIN to an account registered through
NickServ (issue 11): ircmini with a services listener, the real Atheme
(atheme-services) linked to it, then irssi or WeeChat (argv[1]) in tmux
configured for SASL PLAIN. Checked: the client negotiates CAP sasl and
sends AUTHENTICATE PLAIN, the server answers 900 and 903 before 001, the
client shows the login, and a peer's WHOIS shows the account (330). The
CAP/AUTHENTICATE exchange is written to the test log (sasl-wire.txt)."""

import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from lib import Test, Server, WireProxy, Peer, Tmux, need_programs, fail, poll, write_file  # noqa: E402

T = 10
ACCOUNT, PASSWORD = "saslacct", "sasl-pass-1"


class LinkedServer(Server):
    """ircmini with a [listen] services entry for Atheme."""

    def __init__(self, t):
        super().__init__(t)
        from lib import free_port
        self.sport = free_port()

    def _ircmini_conf(self):
        from test_services import SEND, RECEIVE, SERVICES
        conf = self.t.path("ircmini.conf")
        with open(conf, "w") as f:
            f.write("[server]\nname = %s\nnetwork = TestNet\nsid = 0IR\n"
                    "[listen]\naddress = 127.0.0.1:%d\nservices = 127.0.0.1:%d\n"
                    "[services]\nname = %s\nsend_password = %s\nreceive_password = %s\n"
                    % (self.NAME, self.port, self.sport, SERVICES, SEND, RECEIVE))
        return conf


def start_services(t, srv):
    from test_services import Atheme
    d = t.path("atheme")
    os.makedirs(d)
    a = Atheme(srv.sport, datadir=d)
    t.at_cleanup(lambda: a.stop(keep=True))

    def linked():
        with open(t.path("server.stderr"), errors="replace") as f:
            return "services link: burst exchanged" in f.read()
    if not poll(linked, 4 * T):
        fail("Atheme did not link (see atheme/stdout.log, server.stderr)")
    t.ok("Atheme linked")
    return a


def register_account(t, srv):
    p = Peer(t, srv.port, nick=ACCOUNT, logname="register.log")
    m = p.mark()
    p.send("PRIVMSG NickServ :REGISTER %s %s@example.test" % (PASSWORD, ACCOUNT))
    p.wait(r" 900 %s " % ACCOUNT, T, m, "NickServ REGISTER logs in")
    p.send("QUIT :registered")
    t.ok("account %s registered through NickServ" % ACCOUNT)


def irssi(t, port, home, nick):
    write_file(os.path.join(home, "config"), """servers = (
  { address = "127.0.0.1"; port = "%d"; chatnet = "test"; autoconnect = "yes"; use_tls = "no"; }
);
chatnets = {
  test = {
    type = "IRC";
    sasl_mechanism = "PLAIN";
    sasl_username = "%s";
    sasl_password = "%s";
  };
};
settings = {
  core = { real_name = "Irssi SASL"; user_name = "irssi"; nick = "%s"; };
  "irc/core" = { cmd_queue_speed = "100msec"; };
};
""" % (port, ACCOUNT, PASSWORD, nick))
    return ["irssi", "--home=" + home]


def weechat(t, port, home, nick):
    binary = shutil.which("weechat") or shutil.which("weechat-curses")
    setup = [
        "/server add test 127.0.0.1/%d -notls" % port,
        "/set irc.server.test.nicks %s" % nick,
        "/set irc.server.test.username weechat",
        "/set irc.server.test.sasl_mechanism plain",
        "/set irc.server.test.sasl_username %s" % ACCOUNT,
        "/set irc.server.test.sasl_password %s" % PASSWORD,
        "/connect test",
    ]
    return [binary, "-d", home, "-a", "-s", "-P", "irc,buflist,logger,alias", "-r", ";".join(setup)]


def body(t):
    client = t.name.split("-")[0]
    need_programs(t, "tmux", "atheme-services")
    if client == "irssi":
        need_programs(t, "irssi")
    elif not (shutil.which("weechat") or shutil.which("weechat-curses")):
        t.skip("missing program: weechat (Debian package weechat-curses)")
    srv = LinkedServer(t).start()
    start_services(t, srv)
    register_account(t, srv)

    wire = WireProxy(t, srv.port)
    home = t.path("home")
    os.makedirs(home)
    nick = client + "user"
    argv = (irssi if client == "irssi" else weechat)(t, wire.port, home, nick)
    tm = Tmux(t, width=200, height=60)
    tm.start(argv, env={"HOME": home, "LANG": "C.UTF-8", "TERM": "screen"})

    wire.wait("C>", r"^CAP REQ :.*\bsasl\b", T, what="CAP REQ sasl")
    wire.wait("S>", r"^:\S+ CAP \S+ ACK :.*\bsasl\b", T, what="CAP ACK sasl")
    wire.wait("C>", r"^AUTHENTICATE PLAIN$", T, what="AUTHENTICATE PLAIN")
    wire.wait("S>", r"^AUTHENTICATE \+$", T, what="AUTHENTICATE +")
    wire.wait("C>", r"^AUTHENTICATE \S+$", T, what="the credentials")
    wire.wait("S>", r"^:\S+ 900 \S+ \S+ %s :" % ACCOUNT, T, what="900 logged in")
    wire.wait("S>", r"^:\S+ 903 ", T, what="903 SASL success")
    wire.wait("S>", r"^:\S+ 001 %s " % nick, T, what="welcome after SASL")
    t.ok("CAP sasl, AUTHENTICATE PLAIN, 900 and 903, then 001")
    tm.wait(r"logged in as %s" % ACCOUNT, T, "the client shows the login (900)")
    t.ok("login shown on screen")

    peer = Peer(t, srv.port)
    m = peer.mark()
    peer.send("WHOIS " + nick)
    peer.wait(r" 330 peer1 %s %s :" % (nick, ACCOUNT), T, m, "WHOIS 330 shows the account")
    t.ok("a peer's WHOIS shows account %s (330)" % ACCOUNT)

    # the exchange, for the record (the PLAIN payload is base64 of a test password)
    lines = []
    with open(t.path("wire.log"), errors="replace") as f:
        for ln in f:
            if re.search(r" (CAP|AUTHENTICATE) | 90[0-8] ", ln):
                lines.append(ln.rstrip("\n"))
    write_file(t.path("sasl-wire.txt"), "\n".join(lines) + "\n")
    for ln in lines:
        t.log("wire: " + ln)
    srv.finish()


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "irssi"
    Test(which + "-sasl").run(body)

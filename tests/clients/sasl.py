#!/usr/bin/env python3
"""A real client logs in with SASL PLAIN to an account registered through
NickServ (issue 11): ircmini with a services listener, the real Atheme
(atheme-services) linked to it, then irssi or WeeChat (argv[1]) in tmux
configured for SASL PLAIN. Checked: the client negotiates CAP sasl and
sends AUTHENTICATE PLAIN, the server answers 900 and 903 before 001, the
client shows the login, and a peer's WHOIS shows the account (330). The
CAP/AUTHENTICATE exchange is written to the test log (sasl-wire.txt).

With argv[2] "external": the same over a TLS listener, the client with a
self-signed client certificate and SASL EXTERNAL; the account gets that
certificate by NickServ CERT ADD from a raw TLS connection first. TLS
hides the wire, so what is checked is the screen (the 900 text), a peer's
WHOIS (330 account, 671 secure, no 276 fingerprint) and an operator's
WHOIS (276 with the certificate's fingerprint); Atheme's log line of the
EXTERNAL login goes to sasl-wire.txt."""
import hashlib
import ssl
import subprocess
import time

import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from lib import Test, Server, WireProxy, Peer, Tmux, need_programs, fail, now, poll, write_file  # noqa: E402

T = 10
ACCOUNT, PASSWORD = "saslacct", "sasl-pass-1"


class LinkedServer(Server):
    """ircmini with a [listen] services entry for Atheme."""

    def __init__(self, t):
        super().__init__(t)
        from lib import free_port
        self.sport = free_port()

    tls_extra = ""      # TLS listener, [tls] and [operators] (external)

    def _ircmini_conf(self):
        from test_services import SEND, RECEIVE, SERVICES
        conf = self.t.path("ircmini.conf")
        listen, extra = "", ""
        if self.tls_extra:
            listen, extra = self.tls_extra
        with open(conf, "w") as f:
            f.write("[server]\nname = %s\nnetwork = TestNet\nsid = 0IR\n"
                    "[listen]\naddress = 127.0.0.1:%d\nservices = 127.0.0.1:%d\n%s"
                    "[services]\nname = %s\nsend_password = %s\nreceive_password = %s\n%s"
                    % (self.NAME, self.port, self.sport, listen, SERVICES, SEND, RECEIVE, extra))
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


OPER_PW = "oper-pw-1"


def openssl_cert(t, name, ec=True):
    """A self-signed certificate and key in one PEM file (both clients
    take that), and its fingerprint: SHA-256 of the DER, lowercase hex."""
    pem = t.path(name + ".pem")
    newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"] if ec else \
        ["-newkey", "rsa:2048"]
    subprocess.run(["openssl", "req", "-x509"] + newkey + ["-nodes", "-days", "1",
                    "-subj", "/CN=" + name, "-keyout", pem, "-out", pem + ".crt"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(pem + ".crt") as f:
        crt = f.read()
    with open(pem, "a") as f:
        f.write(crt)
    return pem, pem + ".crt", hashlib.sha256(ssl.PEM_cert_to_DER_cert(crt)).hexdigest()


def register_account_with_cert(t, tport, pem, fp):
    """NickServ REGISTER and CERT ADD over TLS with the client certificate."""
    from test_tls import TLSClient
    c = TLSClient(tport, cert=(pem, pem))
    c.register(ACCOUNT)
    c.send("PRIVMSG NickServ :REGISTER %s %s@example.test" % (PASSWORD, ACCOUNT))
    c.expect(r" 900 %s " % ACCOUNT)
    c.send("PRIVMSG NickServ :CERT ADD")
    c.expect(r"NOTICE %s :.*Added fingerprint \W*%s" % (ACCOUNT, fp))
    c.send("QUIT :registered")
    c.close()
    t.ok("account %s registered and its certificate added (CERT ADD) over TLS" % ACCOUNT)


def irssi_external(t, port, home, nick, pem):
    """TLS; with pem: that client certificate and SASL EXTERNAL."""
    write_file(os.path.join(home, "config"), """servers = (
  { address = "127.0.0.1"; port = "%d"; chatnet = "test"; autoconnect = "yes";
    use_tls = "yes"; tls_verify = "no"; %s }
);
chatnets = { test = { type = "IRC"; %s }; };
settings = {
  core = { real_name = "Irssi EXTERNAL"; user_name = "irssi"; nick = "%s"; };
  "irc/core" = { cmd_queue_speed = "100msec"; };
};
""" % (port, 'tls_cert = "%s";' % pem if pem else "",
       'sasl_mechanism = "EXTERNAL";' if pem else "", nick))
    return ["irssi", "--home=" + home]


def weechat_external(t, port, home, nick, pem):
    binary = shutil.which("weechat") or shutil.which("weechat-curses")
    # WeeChat 4.0 renamed its ssl options tls (Debian 12 has 3.8)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    major = re.match(r"(\d+)", version.strip())
    tls = "ssl" if major and int(major.group(1)) < 4 else "tls"
    setup = [
        "/server add test 127.0.0.1/%d -%s" % (port, tls),
        "/set irc.server.test.%s_verify off" % tls,
        "/set irc.server.test.nicks %s" % nick,
        "/set irc.server.test.username weechat",
    ]
    if pem:
        setup += ["/set irc.server.test.%s_cert %s" % (tls, pem),
                  "/set irc.server.test.sasl_mechanism external"]
    setup.append("/connect test")
    return [binary, "-d", home, "-a", "-s", "-P", "irc,buflist,logger,alias", "-r", ";".join(setup)]


def whois_registered(peer, nick):
    """WHOIS nick until it is there (the client registers a moment after
    it shows anything); the mark of the complete answer."""
    deadline = now() + T
    while True:
        m = peer.mark()
        peer.send("WHOIS " + nick)
        peer.wait(r" 318 peer1 ", T, m, "end of WHOIS")
        if peer.find(r" 311 peer1 %s " % nick, m) or now() > deadline:
            return m
        time.sleep(0.2)


def body_external(t, client):
    from lib import free_port
    from ircharness import oper_hash
    server_pem, server_crt, _ = openssl_cert(t, "server", ec=False)
    pem, _, fp = openssl_cert(t, "client")
    srv = LinkedServer(t)
    tport = free_port()
    srv.tls_extra = ("tls = 127.0.0.1:%d\n" % tport,
                     "[tls]\ncertificate = %s\nkey = %s\n[operators]\nboss = %s\n"
                     % (server_crt, server_pem, oper_hash(OPER_PW)))
    srv.start()
    a = start_services(t, srv)
    register_account_with_cert(t, tport, pem, fp)

    configure = irssi_external if client == "irssi" else weechat_external
    peer = Peer(t, srv.port)

    # without a certificate: asked for one, gives none, connects as ever
    home = t.path("home-nocert")
    os.makedirs(home)
    nick = client + "plain"
    tm = Tmux(t, width=200, height=60)
    tm.start(configure(t, tport, home, nick, None), env={"HOME": home, "LANG": "C.UTF-8", "TERM": "screen"})
    m = whois_registered(peer, nick)
    peer.wait(r" 671 peer1 %s :" % nick, 0, m, "WHOIS 671: the certificate-less client over TLS")
    if any(re.search(r" (276|330) ", l) for l in peer.lines[m:]):
        fail("a client without certificate or account has a fingerprint or account")
    t.ok("over TLS without a certificate the client registers as usual (WHOIS 671, no 276)")

    home = t.path("home")
    os.makedirs(home)
    nick = client + "user"
    tm = Tmux(t, width=200, height=60)
    tm.start(configure(t, tport, home, nick, pem), env={"HOME": home, "LANG": "C.UTF-8", "TERM": "screen"})
    tm.wait(r"logged in as %s" % ACCOUNT, T, "the client shows the login (900)")
    t.ok("SASL EXTERNAL login shown on screen")

    m = whois_registered(peer, nick)    # 900 shows before 001
    peer.wait(r" 330 peer1 %s %s :" % (nick, ACCOUNT), 0, m, "WHOIS 330 shows the account")
    peer.wait(r" 671 peer1 %s :" % nick, 0, m, "WHOIS 671: a secure connection")
    if any(" 276 " in l for l in peer.lines[m:]):
        fail("the fingerprint (276) was shown to a peer that is no operator")
    t.ok("a peer's WHOIS shows account %s (330) and TLS (671), not the fingerprint" % ACCOUNT)
    m = peer.mark()
    peer.send("OPER boss " + OPER_PW)
    peer.wait(r" 381 ", T, m, "OPER")
    peer.send("WHOIS " + nick)
    peer.wait(r" 276 peer1 %s :has client certificate fingerprint %s" % (nick, fp), T, m,
              "WHOIS 276 to an operator")
    t.ok("an operator's WHOIS shows the client's certificate fingerprint (276)")

    with open(a.log, errors="replace") as f:
        lines = [ln.rstrip("\n") for ln in f if "EXTERNAL" in ln or "CERT" in ln]
    write_file(t.path("sasl-wire.txt"), "\n".join(lines) + "\n")
    for ln in lines:
        t.log("atheme: " + ln)
    srv.finish()


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
    if t.name.endswith("-external"):
        need_programs(t, "openssl")
        return body_external(t, client)
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
    external = len(sys.argv) > 2 and sys.argv[2] == "external"
    Test(which + ("-external" if external else "-sasl")).run(body)

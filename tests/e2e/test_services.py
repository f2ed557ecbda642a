#!/usr/bin/env python3
"""End-to-end tests of the services link (issue 11): the real Atheme
(Debian atheme-services, protocol module charybdis) with a throw-away
config and database in a temporary directory, linked to ircmini over TS6.
Skips (77) when atheme-services is not installed."""
import base64
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from ircharness import TIMEOUT, WRAPPER, Client, free_port, running, run_tests

ATHEME = shutil.which("atheme-services")
SLOW = 6 if WRAPPER else 1          # valgrind (IRCMINI_WRAPPER) is slow
LINK_WAIT = TIMEOUT * 2 * SLOW      # Atheme connects at start, then every second

SERVICES = "services.test"
SEND = "to-services-pw"      # ircmini's send_password = Atheme's receive_password
RECEIVE = "from-services-pw"  # ircmini's receive_password = Atheme's send_password

MODULES = """
loadmodule "modules/protocol/charybdis";
loadmodule "modules/backend/opensex";
loadmodule "modules/crypto/pbkdf2v2";
loadmodule "modules/nickserv/main";
loadmodule "modules/nickserv/identify";
loadmodule "modules/nickserv/register";
loadmodule "modules/nickserv/set_core";
loadmodule "modules/nickserv/enforce";
loadmodule "modules/nickserv/set_enforcetime";
loadmodule "modules/chanserv/main";
loadmodule "modules/chanserv/register";
loadmodule "modules/chanserv/op";
loadmodule "modules/saslserv/main";
loadmodule "modules/saslserv/plain";
loadmodule "modules/saslserv/external";
loadmodule "modules/nickserv/cert";
"""


class Atheme:
    """One atheme-services process in the foreground (-n), its config,
    database and log in a fresh temporary directory."""

    def __init__(self, port, send=RECEIVE, receive=SEND, name=SERVICES, datadir=None):
        self.dir = datadir or tempfile.mkdtemp(prefix="ircmini-atheme-")
        self.conf = os.path.join(self.dir, "atheme.conf")
        with open(self.conf, "w") as f:
            f.write(MODULES + """
serverinfo {
	name = "%(name)s";
	desc = "Atheme test services";
	numeric = "00A";
	recontime = 1;
	netname = "TestNet";
	hidehostsuffix = "users.test";
	adminname = "test";
	adminemail = "test@localhost";
	registeremail = "noreply@localhost";
	mta = "/bin/false";
	loglevel = { all; };
	maxlogins = 5;
	maxusers = 5;
	mdlimit = 30;
	emaillimit = 10;
	emailtime = 300;
	auth = none;
	casemapping = rfc1459;
};
uplink "irc.test" {
	host = "127.0.0.1";
	port = %(port)d;
	send_password = "%(send)s";
	receive_password = "%(receive)s";
};
nickserv { nick = "NickServ"; user = "NickServ"; host = "%(name)s"; real = "Nickname Services"; };
chanserv { nick = "ChanServ"; user = "ChanServ"; host = "%(name)s"; real = "Channel Services"; };
saslserv { nick = "SaslServ"; user = "SaslServ"; host = "%(name)s"; real = "SASL Authentication Agent"; };
general { commit_interval = 5; flood_msgs = 0; ratelimit_uses = 0; };
""" % {"name": name, "port": port, "send": send, "receive": receive})
        self.log = os.path.join(self.dir, "atheme.log")
        self.out = open(os.path.join(self.dir, "stdout.log"), "w")
        self.proc = subprocess.Popen(
            [ATHEME, "-n", "-c", self.conf, "-D", self.dir, "-l", self.log,
             "-p", os.path.join(self.dir, "atheme.pid")],
            stdout=self.out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def text(self):
        try:
            with open(self.out.name, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self, keep=False):
        self.kill(signal.SIGTERM)
        self.out.close()
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def config(sport, listen="", extra=""):
    """listen: more [listen] lines; extra: more sections."""
    return ("[server]\nname = irc.test\nnetwork = TestNet\nsid = 0IR\n"
            "[listen]\naddress = 127.0.0.1:%%d\nservices = 127.0.0.1:%d\n%s"
            "[services]\nname = %s\nsend_password = %s\nreceive_password = %s\n%s"
            % (sport, listen.replace("%", "%%"), SERVICES, SEND, RECEIVE, extra.replace("%", "%%")))


class linked:
    """ircmini with a services listener and Atheme linked to it."""

    def __init__(self, wait=True, listen="", extra="", **atheme_kw):
        self.sport = free_port()
        self.port = free_port()
        self.wait = wait
        self.listen, self.extra = listen, extra
        self.atheme_kw = atheme_kw

    def __enter__(self):
        self.run = running(config(self.sport, self.listen, self.extra) % self.port, port=self.port)
        self.srv = self.run.__enter__()
        self.srv.sport = self.sport
        self.atheme = Atheme(self.sport, **self.atheme_kw)
        self.srv.atheme = self.atheme
        if self.wait:
            wait_linked(self.srv)
        return self.srv

    def __exit__(self, et, ev, tb):
        atheme = self.srv.atheme    # a test may have restarted it
        atheme.stop(keep=et is not None)
        if et is not None:
            print("atheme output (%s):\n%s" % (atheme.dir, atheme.text()[-4000:]))
        return self.run.__exit__(et, ev, tb)


def count_in_log(srv, what):
    return srv.stderr().count(what)


def wait_for_log(srv, what, n=1, timeout=None):
    deadline = time.time() + (timeout or LINK_WAIT)
    while time.time() < deadline:
        if count_in_log(srv, what) >= n:
            return
        if srv.proc.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError("no %r (x%d) in the server log:\n%s\natheme:\n%s"
                         % (what, n, srv.stderr()[-3000:], srv.atheme.text()[-3000:]))


def wait_linked(srv, n=1):
    """Linked and burst exchanged (services answered our end-of-burst PING)."""
    wait_for_log(srv, "services link: burst exchanged", n)


def caps_ls(srv):
    c = Client(srv.port)
    c.send("CAP LS 302")
    lines = c.collect_until(r"CAP \* LS :")
    c.close()
    return " ".join(lines)


def plain(account, password):
    return base64.b64encode(("%s\0%s\0%s" % (account, account, password)).encode()).decode()


def sasl_client(srv, nick, account, password, mech="PLAIN"):
    """A raw client through CAP REQ sasl and AUTHENTICATE; returns it and
    the lines up to the SASL verdict (903/904/...)."""
    c = Client(srv.port)
    c.send("CAP LS 302")
    c.send("NICK " + nick)
    c.send("USER %s 0 * :SASL user" % nick)
    c.collect_until(r"CAP \* LS :")
    c.send("CAP REQ :sasl")
    c.expect(r"CAP \S+ ACK :sasl")
    c.send("AUTHENTICATE " + mech)
    first = c.collect_until(r"AUTHENTICATE \+|90[4-8]")
    if "AUTHENTICATE +" not in first[-1]:
        return c, first
    c.send("AUTHENTICATE " + plain(account, password))
    return c, first + c.collect_until(r" 90[3-7] ")


# ---- the link itself

def test_link_comes_up_and_sasl_is_offered():
    with linked() as srv:
        assert "services linked: %s (00A)" % SERVICES in srv.stderr()
        assert re.search(r"\bsasl\b", caps_ls(srv)), caps_ls(srv)
        c = srv.client("looker")
        c.send("LINKS")
        lines = c.collect_until(r" 365 ")
        assert any(re.search(r" 364 looker %s irc.test :1 " % SERVICES, l) for l in lines), lines


def test_sasl_plain_unknown_account_fails_and_registration_goes_on():
    with linked() as srv:
        c, lines = sasl_client(srv, "nobody", "nobody", "wrong")
        assert " 904 " in lines[-1], lines
        c.send("CAP END")
        c.expect(r" 001 nobody ")


def test_sasl_unknown_mechanism_lists_the_real_ones():
    with linked() as srv:
        c, lines = sasl_client(srv, "mechy", "x", "y", mech="BOGUS")
        lines += c.collect_until(r" 904 ")
        text = "\n".join(lines)
        assert re.search(r" 908 \S+ \S*PLAIN\S* :are available SASL mechanisms", text), text
        assert " 904 " in lines[-1], lines


def test_sasl_abort_and_too_long():
    with linked() as srv:
        c = Client(srv.port)
        c.send("CAP REQ :sasl")
        c.expect(r"ACK :sasl")
        c.send("AUTHENTICATE PLAIN")
        c.expect(r"AUTHENTICATE \+")
        c.send("AUTHENTICATE *")
        c.expect(r" 906 ")
        c.send("AUTHENTICATE PLAIN")
        c.expect(r"AUTHENTICATE \+")
        c.send("AUTHENTICATE " + "A" * 401)
        c.expect(r" 905 ")


def test_no_sasl_without_services():
    with linked(wait=False) as srv:
        srv.atheme.kill()
        assert not re.search(r"\bsasl\b", caps_ls(srv))
        c = Client(srv.port)
        c.send("CAP REQ :sasl")
        c.expect(r"CAP \* NAK :sasl")


def test_bad_link_password_is_refused():
    with linked(wait=False, send="wrong-password") as srv:
        wait_for_log(srv, "refused: Bad password")
        assert "services linked" not in srv.stderr()
        assert not re.search(r"\bsasl\b", caps_ls(srv))


def test_wrong_server_name_is_refused():
    with linked(wait=False, name="other.test") as srv:
        wait_for_log(srv, "Server other.test is not the configured services")
        assert "services linked" not in srv.stderr()


def fake_services(srv, password=RECEIVE, name=SERVICES, sid="00B"):
    s = socket.create_connection(("127.0.0.1", srv.sport), TIMEOUT)
    s.settimeout(TIMEOUT * SLOW)
    s.sendall(("PASS %s TS 6 :%s\r\nCAPAB :ENCAP EUID\r\nSERVER %s 1 :fake\r\n"
               "SVINFO 6 3 0 :%d\r\n" % (password, sid, name, int(time.time()))).encode())
    return s


def read_until_closed(s):
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    return data.decode(errors="replace")


def test_second_link_is_closed_first_keeps_working():
    with linked() as srv:
        s = fake_services(srv)
        got = read_until_closed(s)
        s.close()
        assert "ERROR :Closing Link" in got and "already linked" in got, got
        # our password never went to the second link
        assert SEND not in got, got
        time.sleep(0.2)
        assert "services link to" not in srv.stderr(), "first link dropped"
        assert re.search(r"\bsasl\b", caps_ls(srv))


def test_garbage_from_the_link_is_logged_and_dropped():
    sport, port = free_port(), free_port()
    with running(config(sport) % port, port=port) as srv:
        srv.sport = sport
        s = fake_services(srv)
        s.sendall(b":00B BOGUS x y\r\n:00B EUID a\r\n:00BAAAAAA PRIVMSG\r\n\x01\x02\r\n"
                  b":00B SJOIN notanumber #c + :00BAAAAAB\r\n:00B PING :x\r\n")
        s.settimeout(TIMEOUT * SLOW)
        data = b""
        while b"PONG" not in data:
            chunk = s.recv(4096)
            assert chunk, data
            data += chunk
        log = srv.stderr()
        assert "line dropped: unknown command" in log, log
        assert "EUID needs 11 parameters" in log, log
        assert "SJOIN: bad timestamp" in log, log
        # the server still serves clients
        c = srv.client("alice")
        c.sync()
        s.close()


def test_forged_services_lines_from_a_client_port_do_nothing():
    with linked() as srv:
        c = srv.client("mallory")
        c.send("CAP REQ :account-notify")
        for line in ("SERVER %s 1 :x" % SERVICES, "PASS %s TS 6 :00A" % RECEIVE,
                     ":00A ENCAP * SU 0IRAAAAAA mallory", "ENCAP * SU 0IRAAAAAA mallory",
                     ":00A ENCAP irc.test SVSLOGIN 0IRAAAAAA * * * mallory"):
            c.send(line)
        c.send("WHOIS mallory")
        lines = c.collect_until(r" 318 ")
        assert not any(" 330 " in l for l in lines), lines
        assert not any(" 900 " in l for l in lines), lines
        assert "services linked" in srv.stderr() and srv.stderr().count("services linked") == 1


def fake_link_up(srv):
    """A hand-driven services link: handshake, then our burst up to its
    end-of-burst PING. Returns the socket and the burst text."""
    s = fake_services(srv)
    data = b""
    while b" PING " not in data:
        chunk = s.recv(65536)
        assert chunk, data
        data += chunk
    return s, data.decode(errors="replace")


def link_sync(s, token="sync"):
    """Round-trip a PING over the hand-driven link."""
    s.sendall((":00B PING :%s\r\n" % token).encode())
    data = b""
    while ("PONG" not in data.decode(errors="replace")) or token not in data.decode(errors="replace"):
        chunk = s.recv(4096)
        assert chunk, data
        data += chunk


def uid_in_burst(burst, nick):
    m = re.search(r"EUID %s \S+ \S+ \S+ \S+ \S+ \S+ (\S+)" % nick, burst)
    assert m, burst
    return m.group(1)


def test_ts6_rules_older_channel_ts_nick_collision_chghost():
    sport, port = free_port(), free_port()
    with running(config(sport) % port, port=port) as srv:
        srv.sport = sport
        alice = srv.client("alice")
        alice.join("#old")
        bob = srv.client("bob")
        s, burst = fake_link_up(srv)
        assert re.search(r":0IR SJOIN \d+ #old \+nt :@0IR\S+", burst), burst
        a_uid, b_uid = uid_in_burst(burst, "alice"), uid_in_burst(burst, "bob")
        s.sendall(b":00B EUID Svc 1 1000 +io svc services.test 0 00BAAAAAB * * :svc\r\n"
                  b":00B SJOIN 100 #old +s :@00BAAAAAB\r\n")
        # the older TS wins: our modes and alice's op go, theirs come
        alice.expect(r":services.test MODE #old -nto alice$")
        alice.expect(r":Svc!svc@services.test JOIN #old")
        alice.expect(r":services.test MODE #old \+s$")
        alice.expect(r":services.test MODE #old \+o Svc$")
        alice.send("MODE #old")
        alice.expect(r" 324 alice #old \+s$")
        alice.expect(r" 329 alice #old 100$")
        # a newer SJOIN keeps ours: no modes, no statuses from it
        s.sendall(b":00B EUID Svc2 1 1000 +io svc services.test 0 00BAAAAAC * * :svc\r\n"
                  b":00B SJOIN 200 #old +i :@00BAAAAAC\r\n")
        alice.expect(r":Svc2!svc@services.test JOIN #old")
        alice.send("NAMES #old")
        line = alice.expect(r" 353 alice ")
        assert "@Svc2" not in line and "Svc2" in line, line
        alice.send("MODE #old")
        alice.expect(r" 324 alice #old \+s$")
        # nick collision: their older bob wins, ours is killed
        s.sendall(b":00B EUID bob 1 1 +i b other.host 0 00BAAAAAD * * :old bob\r\n")
        bob.expect(r"KILL bob :.*Nick collision|ERROR :Closing Link")
        alice.send("WHOIS bob")
        alice.expect(r" 311 alice bob b other.host ")
        # CHGHOST: a services vhost shows in WHOIS; peers with the chghost
        # cap hear of it from the old mask, alice gets 396
        dave = Client(srv.port)
        dave.send("CAP REQ :chghost")
        dave.expect(r"CAP \* ACK :chghost$")
        dave.send("CAP END")
        dave.register("dave")
        dave.join("#old")
        alice.send("WHOIS alice")
        old_host = re.search(r" 311 alice alice alice (\S+) ", alice.expect(r" 311 alice alice ")).group(1)
        s.sendall((":00B CHGHOST %s :vhost.example\r\n" % a_uid).encode())
        link_sync(s)   # two sockets: the link's line first, then alice's WHOIS
        alice.expect(r"^:irc\.test 396 alice vhost\.example :is now your displayed host$")
        dave.expect(r"^:alice!alice@%s CHGHOST alice vhost\.example$" % re.escape(old_host))
        alice.send("WHOIS alice")
        alice.expect(r" 311 alice alice alice vhost.example ")
        bob_view = srv.client("erin")   # no cap: no CHGHOST line, the new host in replies
        bob_view.send("WHO alice")
        bob_view.expect(r" 352 erin \S+ alice vhost\.example ")
        bob_view.quiet("CHGHOST")
        # services cannot speak for our users
        s.sendall((":%s PRIVMSG #old :forged\r\n" % a_uid).encode())
        link_sync(s)
        alice.send("PING :sync")
        lines = alice.collect_until(r"PONG")
        assert not any("forged" in l for l in lines), lines
        # WALLOPS and OPERWALL from services reach +w users (and only them)
        alice.send("MODE alice +w")
        alice.expect(r"MODE alice :\+w$")
        carol = srv.client("carol")
        s.sendall(b":00B WALLOPS :from the services server\r\n"
                  b":00BAAAAAB OPERWALL :from a service\r\n"
                  b":00BZZZZZZ WALLOPS :from nobody we know\r\n")
        link_sync(s)
        alice.expect(r"^:services\.test WALLOPS :from the services server$")
        alice.expect(r"^:Svc!svc@services\.test WALLOPS :from a service$")
        alice.sync()
        alice.quiet("WALLOPS")
        carol.sync()
        carol.quiet("WALLOPS")
        assert b_uid
        s.close()


def link_until(s, pattern):
    """Read the hand-driven link until a line matches; that line."""
    data = ""
    while True:
        for line in data.split("\r\n")[:-1]:
            if re.search(pattern, line):
                return line
        chunk = s.recv(4096)
        assert chunk, data
        data += chunk.decode(errors="replace")


def test_ts6_ban_and_invite_exceptions_both_ways():
    sport, port = free_port(), free_port()
    with running(config(sport) % port, port=port) as srv:
        srv.sport = sport
        alice = srv.client("alice")
        alice.join("#l")
        alice.send("MODE #l +beI x y z")
        alice.expect(r"MODE #l \+beI x!\*@\* y!\*@\* z!\*@\*$")
        s, burst = fake_link_up(srv)
        ts = re.search(r"SJOIN (\d+) #l ", burst).group(1)
        for letter, mask in (("b", "x"), ("e", "y"), ("I", "z")):
            assert ":0IR BMASK %s #l %s :%s!*@*\r\n" % (ts, letter, mask) in burst, burst
        # theirs: a BMASK and a TMODE of each list mode
        s.sendall((":00B BMASK %s #l e :svc!*@* svc2!*@*\r\n:00B TMODE %s #l +I-e w!*@* y!*@*\r\n"
                   % (ts, ts)).encode())
        alice.expect(r"^:services\.test MODE #l \+ee svc!\*@\* svc2!\*@\*$")
        alice.expect(r"^:services\.test MODE #l \+I-e w!\*@\* y!\*@\*$")
        alice.send("MODE #l eI")
        lines = alice.collect_until(r" 347 ")
        assert sorted(l.split()[4] for l in lines if " 348 " in l) == ["svc!*@*", "svc2!*@*"], lines
        assert sorted(l.split()[4] for l in lines if " 346 " in l) == ["w!*@*", "z!*@*"], lines
        # ours reach them as TMODE
        alice.send("MODE #l +e-I q z")
        uid = uid_in_burst(burst, "alice")
        link_until(s, r"^:%s TMODE %s #l \+e-I q!\*@\* z!\*@\*$" % (uid, ts))
        s.close()


# ---- services as users

def notice_from(c, who, pattern):
    return c.expect(r":%s!\S+ NOTICE %s :.*%s" % (who, c.nick, pattern))


def register_account(srv, nick, password="s3cret-pw"):
    """A client that registers its nick with NickServ (and is logged in)."""
    c = srv.client(nick)
    c.send("PRIVMSG NickServ :REGISTER %s %s@example.test" % (password, nick))
    lines = c.collect_until(r"NOTICE %s :.*registered" % nick)
    if not any(" 900 %s " % nick in l for l in lines):
        c.expect(r" 900 %s " % nick)
    return c


def test_nickserv_is_a_user_on_the_services_server():
    with linked() as srv:
        c = srv.client("watcher")
        c.send("WHOIS NickServ")
        lines = c.collect_until(r" 318 ")
        text = "\n".join(lines)
        assert re.search(r" 311 watcher NickServ NickServ %s \* :Nickname Services" % SERVICES, text), text
        assert re.search(r" 312 watcher NickServ %s :" % SERVICES, text), text


def test_register_and_identify():
    with linked() as srv:
        a = register_account(srv, "alice")
        a.send("QUIT")
        b = srv.client("alice")
        b.send("PRIVMSG NickServ :IDENTIFY wrong-pw")
        notice_from(b, "NickServ", "Invalid password")
        b.send("PRIVMSG NickServ :IDENTIFY s3cret-pw")
        b.expect(r" 900 alice alice!\S+ alice :You are now logged in as alice")
        b.send("WHOIS alice")
        lines = b.collect_until(r" 318 ")
        assert any(re.search(r" 330 alice alice alice :", l) for l in lines), lines


def test_sasl_plain_success_then_registration():
    with linked() as srv:
        register_account(srv, "carol", "carol-pw").send("QUIT")
        c, lines = sasl_client(srv, "carol2", "carol", "carol-pw")
        text = "\n".join(lines)
        assert re.search(r" 900 carol2 carol2!carol2@\S+ carol :You are now logged in as carol", text), text
        assert " 903 " in lines[-1], lines
        c.send("AUTHENTICATE PLAIN")
        c.expect(r" 907 ")
        c.send("CAP END")
        c.expect(r" 001 carol2 ")
        w = srv.client("watcher")
        w.send("WHOIS carol2")
        lines = w.collect_until(r" 318 ")
        assert any(" 330 watcher carol2 carol :" in l for l in lines), lines
        w.send("WHO carol2 %na")
        w.expect(r" 354 watcher carol2 carol$")


def test_sasl_plain_wrong_password_fails():
    with linked() as srv:
        register_account(srv, "dave", "dave-pw").send("QUIT")
        c, lines = sasl_client(srv, "dave2", "dave", "not-it")
        assert " 904 " in lines[-1], lines
        assert not any(" 900 " in l for l in lines), lines
        c.send("CAP END")
        c.expect(r" 001 dave2 ")
        c.send("WHOIS dave2")
        assert not any(" 330 " in l for l in c.collect_until(r" 318 "))


def test_account_notify_extended_join_and_account_tag():
    with linked() as srv:
        register_account(srv, "erin", "erin-pw").send("QUIT")
        bob = Client(srv.port)
        bob.send("CAP REQ :account-notify extended-join account-tag")
        bob.expect(r"ACK :account-notify")
        bob.send("CAP END")
        bob.register("bob")
        bob.join("#room")
        erin = srv.client("erin")
        erin.join("#room")
        bob.expect(r":erin!\S+ JOIN #room \* :Test User")
        erin.send("PRIVMSG NickServ :IDENTIFY erin-pw")
        erin.expect(r" 900 erin ")
        bob.expect(r":erin!\S+ ACCOUNT erin$")
        erin.send("PRIVMSG #room :hello")
        bob.expect(r"^@(\S*;)?account=erin(;\S*)? :erin!\S+ PRIVMSG #room :hello")
        erin.send("PART #room")
        erin.join("#room")
        bob.expect(r":erin!\S+ JOIN #room erin :Test User")



def test_account_tag_on_every_line_a_logged_in_user_is_the_source_of():
    """IRCv3 account-tag: "account" goes on every message whose source is a
    logged-in user (JOIN, MODE, TOPIC, INVITE, AWAY, NICK, KICK, QUIT), not
    only on PRIVMSG; a client without the capability gets the plain line.
    (irctest's account_tag testInvite found INVITE untagged.)"""
    with linked() as srv:
        g = register_account(srv, "gina", "gina-pw")
        tom = Client(srv.port)
        tom.send("CAP REQ :account-tag away-notify invite-notify")
        tom.expect(r"ACK :account-tag away-notify invite-notify")
        tom.send("CAP END")
        tom.register("tom")
        pat = srv.client("pat")
        tom.join("#g")
        pat.join("#g")
        g.send("JOIN #g")
        tom.expect(r"^@account=gina :gina!\S+ JOIN #g$")
        pat.expect(r"^:gina!\S+ JOIN #g$")
        tom.send("MODE #g +o gina")
        ned = srv.client("ned")
        for line, want in (("TOPIC #g :new topic", ":gina!\\S+ TOPIC #g :new topic"),
                           ("MODE #g +v pat", ":gina!\\S+ MODE #g \\+v pat"),
                           ("INVITE ned #g", ":gina!\\S+ INVITE ned :#g"),
                           ("AWAY :out", ":gina!\\S+ AWAY :out"),
                           ("NICK gina2", ":gina!\\S+ NICK :gina2")):
            g.send(line)
            tom.expect("^@account=gina " + want + "$")
        pat.expect(r"^:gina!\S+ TOPIC #g :new topic$")
        ned.expect(r"^:gina!\S+ INVITE ned :#g$")
        pat.expect(r"^:gina!\S+ NICK :gina2$")
        pat.send("PRIVMSG #g :hi")   # not logged in: no tag
        tom.expect(r"^:pat!\S+ PRIVMSG #g :hi$")
        g.send("KICK #g pat :out")
        tom.expect(r"^@account=gina :gina2!\S+ KICK #g pat :out$")
        pat.expect(r"^:gina2!\S+ KICK #g pat :out$")
        g.send("QUIT :bye")
        tom.expect(r"^@account=gina :gina2!\S+ QUIT :Quit: bye$")


def test_chanserv_register_and_op_on_rejoin():
    with linked() as srv:
        f = register_account(srv, "frank", "frank-pw")
        keeper = srv.client("keeper")
        f.join("#frank")
        keeper.join("#frank")
        f.send("PRIVMSG ChanServ :REGISTER #frank")
        f.collect_until(r":ChanServ!\S+ NOTICE frank :.*registered")
        f.send("PART #frank")
        f.expect(r"PART #frank")
        f.join("#frank")
        keeper.expect(r":ChanServ!\S+ MODE #frank \+o frank")
        f.send("NAMES #frank")
        f.expect(r" 353 frank = #frank :.*@frank")


def test_nick_enforcement_renames_an_impostor():
    with linked() as srv:
        h = register_account(srv, "hank", "hank-pw")
        h.send("PRIVMSG NickServ :SET ENFORCE ON")
        h.collect_until(r":NickServ!\S+ NOTICE hank :.*ENFORCE")
        h.send("PRIVMSG NickServ :SET ENFORCETIME 1")
        h.collect_until(r":NickServ!\S+ NOTICE hank :.*(ENFORCETIME|enforce|1 second)")
        h.send("QUIT")
        h.wait_closed()
        imp = srv.client("hank")
        imp.collect_until(r":NickServ!\S+ NOTICE hank :.*(registered|identify)")
        # services rename it (RSFNC) once the time is up
        line = imp.expect(r":hank!\S+ NICK :?(\S+)", timeout=10 * SLOW)
        newnick = re.search(r"NICK :?(\S+)", line).group(1)
        assert newnick.lower() != "hank", line
        imp.send("WHOIS " + newnick)
        imp.expect(r" 311 %s %s " % (re.escape(newnick), re.escape(newnick)))


def test_services_killed_and_restarted():
    with linked() as srv:
        g = register_account(srv, "gina", "gina-pw")
        g.send("CAP REQ :cap-notify")
        g.expect(r"ACK :cap-notify")
        datadir = srv.atheme.dir
        srv.atheme.kill()   # SIGKILL: no goodbye on the link
        g.expect(r"CAP gina DEL :sasl")
        g.send("WHOIS NickServ")
        g.expect(r" 401 gina NickServ ")
        g.expect(r" 318 gina NickServ ")
        g.send("WHOIS gina")
        lines = g.collect_until(r" 318 ")
        assert any(" 330 gina gina gina :" in l for l in lines), lines
        srv.atheme.out.close()
        srv.atheme = Atheme(srv.sport, datadir=datadir)
        g.expect(r"CAP gina NEW :sasl", timeout=LINK_WAIT)
        wait_linked(srv, 2)
        g.send("PRIVMSG NickServ :INFO gina")
        g.collect_until(r":NickServ!\S+ NOTICE gina :.*gina")


if __name__ == "__main__":
    if not ATHEME:
        print("atheme-services not installed: skipped")
        sys.exit(77)
    run_tests(globals())

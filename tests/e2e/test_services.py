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


def config(sport):
    return ("[server]\nname = irc.test\nnetwork = TestNet\nsid = 0IR\n"
            "[listen]\naddress = 127.0.0.1:%%d\nservices = 127.0.0.1:%d\n"
            "[services]\nname = %s\nsend_password = %s\nreceive_password = %s\n"
            % (sport, SERVICES, SEND, RECEIVE))


class linked:
    """ircmini with a services listener and Atheme linked to it."""

    def __init__(self, wait=True, **atheme_kw):
        self.sport = free_port()
        self.port = free_port()
        self.wait = wait
        self.atheme_kw = atheme_kw

    def __enter__(self):
        self.run = running(config(self.sport) % self.port, port=self.port)
        self.srv = self.run.__enter__()
        self.srv.sport = self.sport
        self.atheme = Atheme(self.sport, **self.atheme_kw)
        self.srv.atheme = self.atheme
        if self.wait:
            wait_linked(self.srv)
        return self.srv

    def __exit__(self, et, ev, tb):
        self.atheme.stop(keep=et is not None)
        if et is not None:
            print("atheme output (%s):\n%s" % (self.atheme.dir, self.atheme.text()[-4000:]))
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


if __name__ == "__main__":
    if not ATHEME:
        print("atheme-services not installed: skipped")
        sys.exit(77)
    run_tests(globals())

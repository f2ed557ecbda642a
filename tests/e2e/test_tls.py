#!/usr/bin/env python3
"""End-to-end tests of TLS listeners (issue 7): a TLS client next to a
plain-text one, the wrong protocol on either port, handshake timeout, big
transfers both ways, sendq, certificate errors and SIGHUP reload. The
certificates are throw-away self-signed ones made here with openssl req."""
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

from ircharness import BINARY, TIMEOUT, WRAPPER, Client, free_port, running, run_tests

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE_INI = os.path.join(HERE, "..", "..", "etc", "ircmini.ini")

_certdir = None
SLOW = 6 if WRAPPER else 1   # valgrind (IRCMINI_WRAPPER) is slow


def make_cert(name, cn="localhost"):
    """A fresh self-signed cert+key pair in the module's temp dir."""
    global _certdir
    if _certdir is None:
        _certdir = tempfile.mkdtemp(prefix="ircmini-tls-")
    cert = os.path.join(_certdir, name + ".crt")
    key = os.path.join(_certdir, name + ".key")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-subj", "/CN=" + cn, "-days", "1", "-keyout", key, "-out", cert],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def tls_config(cert, key, plain, tls, extra=""):
    return ("[server]\nname = irc.test\nnetwork = TestNet\n"
            "[listen]\naddress = 127.0.0.1:%d\ntls = 127.0.0.1:%d\n"
            "[tls]\ncertificate = %s\nkey = %s\n%s" % (plain, tls, cert, key, extra))


def client_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE    # throw-away self-signed certificate
    return ctx


class TLSClient(Client):
    """The harness client over TLS. OpenSSL may hold decrypted bytes that
    select() cannot see, so readability looks at pending() first."""

    def __init__(self, port, host="127.0.0.1", rcvbuf=None, source=None, cert=None):
        raw = socket.socket()
        if source:
            raw.bind((source, 0))
        if rcvbuf:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        raw.settimeout(TIMEOUT * SLOW)  # a handshake under valgrind takes seconds
        raw.connect((host, port))
        ctx = client_context()
        if cert:
            ctx.load_cert_chain(*cert)   # (certificate, key) files
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        self.sock.setblocking(False)
        self.buf = b""
        self.lines = []
        self.log = []
        self.closed = False
        self.nick = None

    def _readable(self, timeout):
        return self.sock.pending() > 0 or Client._readable(self, timeout)

    def _recv(self):
        try:
            return self.sock.recv(65536)
        except (ssl.SSLWantReadError, BlockingIOError, InterruptedError):
            return None
        except (ConnectionResetError, ssl.SSLError):
            return b""


class tls_server(running):
    """running() with a TLS listener next to the plain one."""

    def __init__(self, extra="", cert=None):
        self.tls_port = free_port()
        plain = free_port()
        c, k = cert or make_cert("main")
        running.__init__(self, tls_config(c, k, plain, self.tls_port, extra), port=plain)

    def __enter__(self):
        s = running.__enter__(self)
        s.tls_port = self.tls_port
        return s


def tls_client(srv, nick=None, rcvbuf=None, **kw):
    c = TLSClient(srv.tls_port, rcvbuf=rcvbuf)
    if nick:
        c.register(nick, **kw)
    return c


def raw_closed(sock, timeout=TIMEOUT):
    """True when the server closes sock (EOF or reset) within timeout."""
    sock.settimeout(timeout)
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            if not sock.recv(4096):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


def test_tls_client_chats_with_plain_client():
    with tls_server() as srv:
        t = tls_client(srv, "secure").join("#mix")
        assert t.sock.version() in ("TLSv1.2", "TLSv1.3"), t.sock.version()
        p = srv.client("plain").join("#mix")
        t.expect(r"^:plain!plain@127.0.0.1 JOIN #mix$")
        t.send("PRIVMSG #mix :hello over tls")
        p.expect(r"^:secure!secure@127.0.0.1 PRIVMSG #mix :hello over tls$")
        p.send("PRIVMSG #mix :hello in the clear")
        t.expect(r"^:plain!plain@127.0.0.1 PRIVMSG #mix :hello in the clear$")
        p.send("PRIVMSG secure :private")
        t.expect(r"PRIVMSG secure :private$")
        p.send("WHOIS secure")
        lines = p.collect_until(r" 318 ")
        assert any(re.search(r" 671 plain secure :is using a secure connection", l) for l in lines), lines
        t.send("WHOIS plain")
        lines = t.collect_until(r" 318 ")
        assert not any(" 671 " in l for l in lines), lines
        t.send("QUIT :bye")
        t.expect(r"^ERROR :Closing Link")
        assert t.wait_closed()
        p.expect(r"^:secure!secure@127.0.0.1 QUIT :Quit: bye$")


def test_plain_client_on_tls_port_is_dropped():
    with tls_server() as srv:
        s = socket.create_connection(("127.0.0.1", srv.tls_port), TIMEOUT)
        s.sendall(b"NICK clear\r\nUSER clear 0 * :Clear\r\n")
        assert raw_closed(s), "a plain-text client on the TLS port was not dropped"
        s.close()
        # the server is fine and the nick was never taken
        t = tls_client(srv, "clear")
        srv.client("other").send("PING x")
        t.send("PING y")
        t.expect(r"PONG .* :y$")
        assert "TLS error" in srv.stderr(), srv.stderr()


def test_tls_client_on_plain_port_is_dropped():
    with tls_server() as srv:
        raw = socket.create_connection(("127.0.0.1", srv.port), TIMEOUT)
        try:
            client_context().wrap_socket(raw, server_hostname="localhost")
            raise AssertionError("TLS handshake succeeded on the plain-text port")
        except (ssl.SSLError, ConnectionError, OSError):
            pass
        raw.close()
        c = srv.client("afterwards")
        c.send("PING z")
        c.expect(r"PONG .* :z$")
        deadline = time.time() + TIMEOUT
        while "TLS on a plain-text port" not in srv.stderr() and time.time() < deadline:
            time.sleep(0.05)
        assert "TLS on a plain-text port" in srv.stderr(), srv.stderr()


def test_handshake_timeout():
    # registration_timeout also bounds the handshake: it runs before registration.
    # Under valgrind a good client's handshake alone can take over a second.
    with tls_server("[limits]\nregistration_timeout = %d\n" % (1 if SLOW == 1 else 4)) as srv:
        idle = socket.create_connection(("127.0.0.1", srv.tls_port), TIMEOUT)
        half = socket.create_connection(("127.0.0.1", srv.tls_port), TIMEOUT)
        # a TLS record header announcing 512 bytes of handshake, then only 4
        half.sendall(b"\x16\x03\x01\x02\x00" + b"\x01\x00\x01\xfc")
        t0 = time.time()
        assert raw_closed(idle, 4 * SLOW), "idle connection on the TLS port not closed"
        assert raw_closed(half, 4 * SLOW), "stalled handshake not closed"
        assert time.time() - t0 < 4 * SLOW
        tls_client(srv, "fine")


def test_big_transfers_both_ways():
    # flood control off: this is about bytes through TLS, not line rates
    with tls_server("[limits]\nflood_burst = 0\nsendq = 16000000\n") as srv:
        t = tls_client(srv, "tls", rcvbuf=4096).join("#big")
        p = srv.client("plain").join("#big")
        t.drain(0.2)
        # input: ~60 KB in one write spans several 16 KiB records, each
        # bigger than the server's 8 KiB read
        text = "x" * 380
        t.sendraw(b"".join(b"PRIVMSG #big :%d %s\r\n" % (i, text.encode()) for i in range(150)))
        for i in range(150):
            p.expect(r"PRIVMSG #big :%d x+$" % i)
        # output: the TLS client does not read while ~5 MB (more than loopback
        # socket buffers hold) queue up, so the server's writes block
        # (WANT_WRITE) and resume
        n = 12000
        p.sendraw(b"".join(b"PRIVMSG #big :%d %s\r\n" % (i, text.encode()) for i in range(n)))
        p.sync()
        time.sleep(0.3)
        for i in range(n):
            t.expect(r"PRIVMSG #big :%d x+$" % i)
        t.send("PING done")
        t.expect(r"PONG .* :done$")


def test_sendq_applies_to_tls():
    with tls_server("[limits]\nflood_burst = 0\nsendq = 65536\n") as srv:
        t = tls_client(srv, "slow").join("#q")
        p = srv.client("fast").join("#q")
        # far more than loopback socket buffers can absorb
        p.sendraw(b"".join(b"PRIVMSG #q :%d %s\r\n" % (i, b"y" * 400) for i in range(30000)))
        p.expect(r"^:slow!\S+ QUIT :SendQ exceeded$", 10 * SLOW)
        p.send("PING ok")
        p.expect(r"PONG .* :ok$")


def test_tls12_minimum():
    with tls_server() as srv:
        ctx = client_context()
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.tls_port), TIMEOUT * SLOW),
                            server_hostname="localhost")
        assert s.version() == "TLSv1.2", s.version()
        s.close()
        # TLS 1.1 (client policy lowered so only the server can refuse it)
        r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % srv.tls_port,
                            "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"], input="",
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True, timeout=TIMEOUT * SLOW)
        assert "alert protocol version" in r.stdout, r.stdout
        deadline = time.time() + TIMEOUT
        while "unsupported protocol" not in srv.stderr():
            assert time.time() < deadline, srv.stderr()
            time.sleep(0.05)


def test_line_limits_same_as_plain():
    with tls_server() as srv:
        t = tls_client(srv, "limits")
        t.send("PRIVMSG limits :" + "z" * 600)
        t.expect(r" 417 limits :Input line was too long")
        t.send("PING still")
        t.expect(r"PONG .* :still$")


def run_binary(conf, *args):
    return subprocess.run(WRAPPER + [BINARY, "-c", conf] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=TIMEOUT * SLOW, universal_newlines=True)


def write_conf(text):
    d = tempfile.mkdtemp(prefix="ircmini-tlsconf-")
    path = os.path.join(d, "ircmini.ini")
    with open(path, "w") as f:
        f.write(text)
    return path


def line_of(path, prefix):
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.startswith(prefix):
                return n
    raise AssertionError(prefix)


def test_certificate_errors_are_config_errors():
    cert, key = make_cert("main")
    cert2, key2 = make_cert("other", cn="other")
    plain, tport = free_port(), free_port()
    cases = [
        # (certificate, key, line that must be named, text in the message)
        (cert + ".missing", key, "certificate =", "cannot read"),
        (cert, key + ".missing", "key =", "cannot read"),
        (cert, key2, "key =", "does not match certificate"),
        (key, key, "certificate =", "not a PEM certificate"),
        (cert, cert, "key =", "not a PEM private key"),
        (_certdir, key, "certificate =", "Is a directory"),
    ]
    for c, k, at, why in cases:
        conf = write_conf(tls_config(c, k, plain, tport))
        for args in (["-t"], []):
            r = run_binary(conf, *args)
            assert r.returncode != 0, (c, k, r.stdout)
            want = "%s:%d: [tls] %s" % (conf, line_of(conf, at), at.split()[0])
            assert want in r.stdout and why in r.stdout, (want, why, r.stdout)
        # nothing listened
        s = socket.socket()
        assert s.connect_ex(("127.0.0.1", plain)) != 0
        s.close()
    # a TLS listener without certificate and key names the listener line
    conf = write_conf("[listen]\naddress = 127.0.0.1:%d\ntls = 127.0.0.1:%d\n" % (plain, tport))
    r = run_binary(conf, "-t")
    assert r.returncode != 0 and "%s:3: [listen] tls:" % conf in r.stdout, r.stdout
    # one without the other
    conf = write_conf("[listen]\naddress = 127.0.0.1:%d\n[tls]\nkey = %s\n" % (plain, key))
    r = run_binary(conf, "-t")
    assert r.returncode != 0 and "%s:4: [tls] key:" % conf in r.stdout, r.stdout


def test_shipped_config_passes_and_is_ready_for_tls():
    r = run_binary(SAMPLE_INI, "-t")
    assert r.returncode == 0, r.stdout
    with open(SAMPLE_INI) as f:
        text = f.read()
    assert re.search(r"^; *tls = 127\.0\.0\.1:6697$", text, re.M), "no commented TLS listener"
    assert re.search(r"^; *certificate = ", text, re.M) and re.search(r"^; *key = ", text, re.M)
    # uncommenting those three lines (with real files) gives a working config
    cert, key = make_cert("main")
    text = re.sub(r"^; *(tls = 127\.0\.0\.1:6697)$", r"\1", text, flags=re.M)
    text = re.sub(r"^; *certificate = .*$", "certificate = " + cert, text, flags=re.M)
    text = re.sub(r"^; *key = .*$", "key = " + key, text, flags=re.M)
    r = run_binary(write_conf(text), "-t")
    assert r.returncode == 0, r.stdout


def peer_cert(port):
    raw = socket.create_connection(("127.0.0.1", port), TIMEOUT)
    s = client_context().wrap_socket(raw, server_hostname="localhost")
    der = s.getpeercert(binary_form=True)
    s.close()
    return der


def der_of(pem_path):
    with open(pem_path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def test_sighup_reloads_certificate():
    a_cert, a_key = make_cert("main")
    b_cert, b_key = make_cert("renewed", cn="renewed")
    d = tempfile.mkdtemp(prefix="ircmini-tlsreload-")
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    shutil.copy(a_cert, cert)
    shutil.copy(a_key, key)
    with tls_server(cert=(cert, key)) as srv:
        old = tls_client(srv, "old")
        assert peer_cert(srv.tls_port) == der_of(a_cert)
        shutil.copy(b_cert, cert)
        shutil.copy(b_key, key)
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + TIMEOUT
        while peer_cert(srv.tls_port) != der_of(b_cert):
            assert time.time() < deadline, "certificate not reloaded:\n" + srv.stderr()
            time.sleep(0.05)
        old.send("PING still-here")           # open connections keep working
        old.expect(r"PONG .* :still-here$")
        # a bad pair is refused and the running certificate stays
        shutil.copy(a_key, key)
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + TIMEOUT
        while "does not match" not in srv.stderr():
            assert time.time() < deadline, srv.stderr()
            time.sleep(0.05)
        assert peer_cert(srv.tls_port) == der_of(b_cert)
        assert "reload failed" in srv.stderr()


def tls_built():
    out = subprocess.run([BINARY, "-V"], stdout=subprocess.PIPE, universal_newlines=True).stdout
    return " tls" in out


def test_handshakes_in_progress_are_capped_per_address():
    """Issue 15 item 9: each handshake costs the loop ~1 ms of CPU, so one
    address may only have tls_handshakes_per_ip of them going at once;
    finished handshakes and other addresses do not count."""
    cert, key = make_cert("cap")
    plain, tls = free_port(), free_port()
    with running(tls_config(cert, key, plain, tls, "[limits]\ntls_handshakes_per_ip = 3\n"),
                 port=plain):
        done = TLSClient(tls).register("done")      # handshaken: not counted
        stalled = [socket.create_connection(("127.0.0.1", tls)) for _ in range(3)]
        extra = socket.create_connection(("127.0.0.1", tls))
        extra.settimeout(TIMEOUT * SLOW)
        data = b""
        while True:
            chunk = extra.recv(4096)
            if not chunk:
                break
            data += chunk
        assert b"Too many TLS handshakes from your host" in data, data
        TLSClient(tls, source="127.0.0.2").register("other")   # another address
        stalled[0].close()
        time.sleep(0.2)
        TLSClient(tls).register("later")              # a slot came free
        for s in stalled[1:]:
            s.close()
        done.send("PING :x")
        done.expect("PONG")


def main(module_globals, *dirs):
    """Run a module's tests (skip, 77, in a build without TLS), then remove
    the certificates made here and the given temporary dirs."""
    if not tls_built():
        print("SKIP: ircmini built without TLS")
        sys.exit(77)
    try:
        run_tests(module_globals)
    finally:
        for d in (_certdir,) + dirs:
            if d:
                shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main(globals())

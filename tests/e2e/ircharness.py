"""ircharness - start the real ircmini binary on an ephemeral loopback port
and talk raw IRC to it over sockets. Standard library only.

Tests are plain functions named test_*; run_tests() runs those of the
calling module, each against a fresh server, and exits non-zero on failure.
"""
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback

BINARY = os.environ.get("IRCMINI") or os.path.join(
    os.path.dirname(__file__), "..", "..", "src", "ircmini")
TIMEOUT = float(os.environ.get("IRC_TEST_TIMEOUT", "5"))
# e.g. "valgrind --leak-check=full --error-exitcode=1": every server runs under it
WRAPPER = os.environ.get("IRCMINI_WRAPPER", "").split()


def _features():
    try:
        return subprocess.run([BINARY, "-V"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return ""


# Every server the tests start keeps its state (bans, cloak key) in a
# temporary directory, never in /var/lib/ircmini; a Server uses its own.
if not os.environ.get("STATE_DIRECTORY"):
    os.environ["STATE_DIRECTORY"] = tempfile.mkdtemp(prefix="ircmini-state-")

# The shipped defaults are for the open internet: 10 connections and 10
# connects a minute per address, cloaked hosts. The tests open many
# loopback connections and assert plain addresses, so, like a bouncer host
# in a real config, loopback is exempted and cloaks are off, explicitly,
# unless the test's config says otherwise (the limit and cloak tests do).
def harness_defaults(text):
    extra = ""
    if not re.search(r"^\s*(exempt|max_per_ip|throttle_\w+)\s*=", text, re.M):
        extra += "\n[limits]\nexempt = 127.0.0.0/8\nexempt = ::1\n"
    if "[cloak]" not in text:
        extra += "\n[cloak]\nenabled = no\n"
    return text + extra


# RSS figures mean nothing under ASan (quarantine) or valgrind
MEMORY_MEANINGFUL = not WRAPPER and "sanitizers" not in _features()


def rss_kib(pid):
    """Resident memory of a process in KiB (see MEMORY_MEANINGFUL)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """One ircmini process with a generated config."""

    def __init__(self, config="", name="irc.test", args=(), port=None, defaults=True):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="ircmini-test-")
        self.conf = os.path.join(self.dir, "ircmini.ini")
        self.name = name
        text = config
        if "[server]" not in text:
            text = "[server]\nname = %s\nnetwork = TestNet\n" % name + text
        if "[listen]" not in text:
            text += "\n[listen]\naddress = 127.0.0.1:%d\n" % self.port
        if defaults:
            text = harness_defaults(text)
        with open(self.conf, "w") as f:
            f.write(text)
        self.log = open(os.path.join(self.dir, "stderr.log"), "w+")
        env = dict(os.environ, STATE_DIRECTORY=self.dir)
        self.proc = subprocess.Popen(WRAPPER + [BINARY, "-c", self.conf] + list(args),
                                     stdout=self.log, stderr=self.log, env=env)
        deadline = time.time() + TIMEOUT * (6 if WRAPPER else 1)
        # ready when it answers IRC: a bare connect could reach some other
        # process that happens to hold the port on a busy machine. Every
        # listener is bound before the loop answers anything.
        while not self._answers_ping():
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("server did not start:\n" + self.stderr())
            time.sleep(0.02)

    def _answers_ping(self):
        try:
            s = socket.create_connection(("127.0.0.1", self.port), 0.2)
        except OSError:
            return False
        try:
            s.settimeout(TIMEOUT)
            s.sendall(b"PING :harness-ready\r\n")
            data = b""
            while b"harness-ready" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    return False
                data += chunk
            return self.proc.poll() is None
        except OSError:
            return False
        finally:
            s.close()

    def stderr(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def client(self, nick=None, **kw):
        c = Client(self.port)
        if nick:
            c.register(nick, **kw)
        return c

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(TIMEOUT * (6 if WRAPPER else 1))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def read_until_closed(sock, timeout=None):
    """Everything the server sends on sock until it closes (or, with a
    timeout, until it goes quiet that long)."""
    data = b""
    sock.settimeout(timeout if timeout is not None else TIMEOUT)
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except (OSError, socket.timeout):
        pass
    return data


def oper_hash(password):
    """A crypt(3) SHA-512 hash, as `openssl passwd -6` prints it."""
    if shutil.which("openssl"):
        out = subprocess.run(["openssl", "passwd", "-6", password], capture_output=True,
                             text=True, check=True).stdout.strip()
        if out.startswith("$6$"):
            return out
    import crypt  # deprecated, but present up to Python 3.12
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_SHA512))


class Client:
    def __init__(self, port, host="127.0.0.1", source=None):
        self.sock = socket.create_connection((host, port), TIMEOUT,
                                             source_address=(source, 0) if source else None)
        self.sock.setblocking(False)
        self.buf = b""
        self.lines = []      # unread lines
        self.log = []        # everything received
        self.closed = False
        self.nick = None

    def send(self, line):
        data = line.encode() if isinstance(line, str) else line
        if not data.endswith(b"\n"):
            data += b"\r\n"
        self.sock.setblocking(True)
        self.sock.sendall(data)
        self.sock.setblocking(False)

    def sendraw(self, data):
        self.sock.setblocking(True)
        self.sock.sendall(data)
        self.sock.setblocking(False)

    def _readable(self, timeout):
        r, _, _ = select.select([self.sock], [], [], max(timeout, 0))
        return bool(r)

    def _recv(self):
        """Bytes from the socket: None when there is nothing yet, b"" at EOF."""
        try:
            return self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return None
        except ConnectionResetError:
            return b""

    def _fill(self, timeout):
        if self.closed or not self._readable(timeout):
            return False
        data = self._recv()
        if data is None:
            return True
        if not data:
            self.closed = True
            return False
        self.buf += data
        self._take()
        return True

    def _take(self):
        """Complete lines from self.buf into self.lines (a transport with
        framing of its own overrides this)."""
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            text = line.rstrip(b"\r").decode("utf-8", "replace")
            self.lines.append(text)
            self.log.append(text)

    def expect(self, pattern, timeout=TIMEOUT):
        """Return the first line matching the regex, dropping the ones before."""
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        while True:
            while self.lines:
                line = self.lines.pop(0)
                if rx.search(line):
                    return line
            if not self._fill(deadline - time.time()):
                if self.closed or time.time() >= deadline:
                    raise AssertionError("expected /%s/ but got nothing more (closed=%s); recent:\n  %s"
                                         % (pattern, self.closed, "\n  ".join(self.log[-15:])))

    def collect_until(self, pattern, timeout=TIMEOUT):
        """All lines up to and including the first one matching pattern."""
        rx = re.compile(pattern)
        out = []
        deadline = time.time() + timeout
        while True:
            while self.lines:
                line = self.lines.pop(0)
                out.append(line)
                if rx.search(line):
                    return out
            if not self._fill(deadline - time.time()):
                if self.closed or time.time() >= deadline:
                    raise AssertionError("expected /%s/; got:\n  %s" % (pattern, "\n  ".join(out[-20:])))

    def quiet(self, pattern=".", wait=0.3):
        """Assert that no line matching pattern arrives within `wait` seconds."""
        rx = re.compile(pattern)
        deadline = time.time() + wait
        while time.time() < deadline:
            self._fill(deadline - time.time())
        bad = [l for l in self.lines if rx.search(l)]
        self.lines = [l for l in self.lines if not rx.search(l)]
        if bad:
            raise AssertionError("unexpected lines matching /%s/:\n  %s" % (pattern, "\n  ".join(bad)))

    def drain(self, wait=0.1):
        deadline = time.time() + wait
        while time.time() < deadline:
            self._fill(deadline - time.time())
        self.lines = []

    def sync(self):
        """Round-trip a PING so everything the server sent before is read."""
        token = "sync%d" % int(time.time() * 1e6)
        self.send("PING " + token)
        return self.collect_until(r"PONG .* :?%s$" % token)

    def wait_closed(self, timeout=TIMEOUT):
        deadline = time.time() + timeout
        while not self.closed and time.time() < deadline:
            self._fill(deadline - time.time())
        return self.closed

    def register(self, nick, user=None, realname="Test User", password=None):
        if password:
            self.send("PASS " + password)
        self.send("NICK " + nick)
        self.send("USER %s 0 * :%s" % (user or nick, realname))
        self.expect(r" 001 ")
        self.collect_until(r" (376|422) ")
        self.nick = nick
        return self

    def join(self, chan):
        self.send("JOIN " + chan)
        self.expect(r" 366 \S+ %s " % re.escape(chan))
        return self

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Skip(Exception):
    """Raised by a test whose tool is missing: the file then reports SKIP
    (exit 77) unless another test failed, never a PASS it did not earn."""


def run_tests(module_globals):
    only = sys.argv[1:]
    tests = [(n, f) for n, f in module_globals.items()
             if n.startswith("test_") and callable(f) and (not only or n in only)]
    failed = skipped = 0
    for name, fn in tests:
        t0 = time.time()
        try:
            fn()
            print("PASS %s (%.2fs)" % (name, time.time() - t0))
        except Skip as why:
            skipped += 1
            print("SKIP %s: %s" % (name, why))
        except Exception:
            failed += 1
            print("FAIL %s" % name)
            traceback.print_exc()
        sys.stdout.flush()
    print("%d/%d passed, %d skipped" % (len(tests) - failed - skipped, len(tests), skipped))
    sys.exit(1 if failed else 77 if skipped else 0)


class running:
    """with running(config) as srv: ... - stops the server, and fails the
    test if the server died or a sanitizer complained."""

    def __init__(self, config="", **kw):
        self.config = config
        self.kw = kw

    def __enter__(self):
        self.srv = Server(self.config, **self.kw)
        return self.srv

    def __exit__(self, et, ev, tb):
        alive = self.srv.proc.poll() is None or getattr(self.srv, "exited_ok", False)
        rc = self.srv.stop()
        log = self.srv.stderr()
        if et is None:
            if not alive:
                raise AssertionError("server died (rc=%s):\n%s" % (rc, log[-3000:]))
            if "runtime error" in log or "AddressSanitizer" in log or "LeakSanitizer" in log:
                raise AssertionError("sanitizer report:\n" + log[-5000:])
            if rc != 0:
                raise AssertionError("server exit status %s after SIGTERM:\n%s" % (rc, log[-3000:]))
        else:
            sys.stderr.write("--- server stderr ---\n" + log[-3000:] + "\n")
        return False

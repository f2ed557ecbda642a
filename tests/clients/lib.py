"""Shared helpers for the real-client tests (irssi, WeeChat, HexChat).

python3 standard library only.  Each test:
  * starts an IRC server on a free loopback port (ircmini by default, see
    start_server() for the SERVER / SERVER_CMD / IRCMINI variables),
  * puts a logging TCP proxy between the client and the server, so that the
    client's whole conversation ends up in OUT/wire.log,
  * connects a second participant (Peer) that speaks raw IRC,
  * drives the client (tmux or Xvfb) and checks what the user sees.

Exit codes follow automake: 0 pass, 1 fail, 77 skip, 99 hard error.
Everything started here is killed on exit (atexit + signal handlers).
"""

import atexit
import os
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# How the clients show a peer's host: ircmini cloaks it by default (three
# base32 labels and the network name), other servers show the address.
PEER_HOST = r"(?:127\.0\.0\.1|[a-z2-7]{8}\.[a-z2-7]{8}\.[a-z2-7]{8}\.TestNet)"

PASS, FAIL, SKIP, HARD = 0, 1, 77, 99

# Text that must never show up on a client's screen / in its logs during a
# normal session: replies to commands the server does not know, registration
# problems, parameter errors, lag-check failures, disconnects.
ERROR_PATTERNS = [
    r"unknown command",
    r"not registered",
    r"not enough parameters",
    r"unknown mode",
    r"is unknown mode char",
    r"no such (nick|channel|server)",
    r"permission denied",
    r"you're not (a )?channel operator",
    r"no ping reply",
    r"lag (is )?too (high|long)",
    r"connection (lost|closed|reset|refused)",
    r"disconnected",
    r"\b(421|451|461|472|501)\b",
]


def now():
    return time.monotonic()


class TestFailure(Exception):
    pass


class Test:
    """One test run: output dir, logging, cleanup, pass/fail/skip."""

    def __init__(self, name, timeout=None):
        self.name = name
        self.t0 = now()
        self.timeout = float(timeout or os.environ.get("TEST_TIMEOUT", "50"))
        out = os.environ.get("OUTDIR")
        if not out:
            top = os.environ.get("abs_top_builddir")
            if top:
                base = os.path.join(top, "tests", "clients")
            elif os.access(HERE, os.W_OK):
                base = HERE
            else:                                # read-only source tree
                base = os.getcwd()
            out = os.path.join(base, "out-" + name)
        self.out = os.path.abspath(out)
        shutil.rmtree(self.out, ignore_errors=True)
        os.makedirs(self.out)
        os.chmod(self.out, 0o777)
        self._cleanups = []
        self._logf = open(os.path.join(self.out, "test.log"), "w")
        self.checks = 0
        atexit.register(self.cleanup)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        signal.signal(signal.SIGALRM, self._on_alarm)
        signal.alarm(int(self.timeout) + 1)

    # -- logging -------------------------------------------------------
    def log(self, msg):
        line = "[%6.2f] %s" % (now() - self.t0, msg)
        print(line, flush=True)
        self._logf.write(line + "\n")
        self._logf.flush()

    def ok(self, what):
        self.checks += 1
        self.log("ok %d - %s" % (self.checks, what))

    def path(self, *parts):
        return os.path.join(self.out, *parts)

    def remaining(self):
        return self.timeout - (now() - self.t0)

    # -- cleanup -------------------------------------------------------
    def at_cleanup(self, fn):
        self._cleanups.append(fn)

    def cleanup(self):
        while self._cleanups:
            fn = self._cleanups.pop()
            try:
                fn()
            except Exception as e:  # keep cleaning up
                print("cleanup error: %r" % (e,), file=sys.stderr)

    def _on_signal(self, signum, frame):
        self.log("got signal %d, cleaning up" % signum)
        self.cleanup()
        os._exit(HARD)

    def _on_alarm(self, signum, frame):
        raise TestFailure("whole test took longer than %.0f s" % self.timeout)

    # -- verdicts ------------------------------------------------------
    def skip(self, why):
        self.log("SKIP: " + why)
        self.cleanup()
        sys.exit(SKIP)

    def hard(self, why):
        self.log("ERROR: " + why)
        self.dump()
        self.cleanup()
        sys.exit(HARD)

    def dump(self):
        """Print the debugging material kept in the output dir."""
        print("=" * 20, "debugging material in", self.out, flush=True)
        for name in sorted(os.listdir(self.out)):
            p = os.path.join(self.out, name)
            if not os.path.isfile(p) or name == "test.log":
                continue
            if not (name.endswith((".log", ".txt", ".stderr", ".conf"))):
                continue
            try:
                with open(p, errors="replace") as f:
                    lines = f.read().splitlines()
            except OSError:
                continue
            if name.startswith("screen-"):   # drop the empty part of the screen
                lines = [ln.rstrip() for ln in lines if ln.strip(" \u2502")]
            limit = 60
            print("----- %s (%d lines%s)" % (
                name, len(lines), ", last %d" % limit if len(lines) > limit else ""))
            for ln in lines[-limit:]:
                print("  " + ln)
        sys.stdout.flush()

    def run(self, body):
        """Run body(self); map the outcome to an exit code."""
        try:
            body(self)
        except TestFailure as e:
            signal.alarm(0)
            self.log("FAIL: %s" % e)
            self.cleanup()
            self.dump()
            self.log("FAIL %s (%d checks passed before the failure)" % (self.name, self.checks))
            sys.exit(FAIL)
        except SystemExit:
            raise
        except BaseException as e:
            signal.alarm(0)
            import traceback
            traceback.print_exc()
            self.log("ERROR: %r" % (e,))
            self.cleanup()
            self.dump()
            sys.exit(HARD)
        signal.alarm(0)
        self.cleanup()
        self.log("PASS %s: %d checks in %.1f s" % (self.name, self.checks, now() - self.t0))
        sys.exit(PASS)


def fail(msg):
    raise TestFailure(msg)


def need_programs(t, *progs):
    missing = [p for p in progs if shutil.which(p) is None]
    if missing:
        t.skip("missing program(s): " + ", ".join(missing))


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout, proc=None):
    """Wait until 127.0.0.1:port accepts connections."""
    end = now() + timeout
    while now() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def poll(cond, timeout, interval=0.1):
    """Call cond() until it returns something true or timeout passes."""
    end = now() + timeout
    while True:
        r = cond()
        if r:
            return r
        if now() >= end:
            return None
        time.sleep(interval)


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------

def default_ircmini():
    if os.environ.get("IRCMINI"):
        return os.environ["IRCMINI"]
    top = os.environ.get("abs_top_builddir")
    if top:
        return os.path.join(top, "src", "ircmini")
    return os.path.normpath(os.path.join(HERE, "..", "..", "src", "ircmini"))


def find_ngircd():
    cand = [os.environ.get("NGIRCD"), shutil.which("ngircd"),
            "/usr/sbin/ngircd", "/tmp/ngircd-root/usr/sbin/ngircd"]
    for c in cand:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


class Server:
    """The IRC server under test.

    Chosen by environment:
      SERVER_CMD  a shell command template; {PORT}, {CONF} (an ircmini-style
                  config written for it) and {DIR} (the output dir) are
                  replaced.  Overrides everything else.
      SERVER      "ircmini" (default) or "ngircd" (stand-in for development:
                  binary from NGIRCD, PATH, /usr/sbin or an extracted .deb in
                  /tmp/ngircd-root).
      IRCMINI     the ircmini binary (default $abs_top_builddir/src/ircmini or
                  ../../src/ircmini from this directory); run as
                  `$IRCMINI -c CONF $IRCMINI_ARGS`.
    """

    NAME = "irc.test"
    LOG = "server.stderr"        # a second server in one test gets its own

    def __init__(self, t):
        self.t = t
        self.port = free_port()
        self.proc = None
        self.kind = None
        self.returncode = None
        self.wrapper = []

    def _ircmini_conf(self):
        conf = self.t.path("ircmini.conf")
        with open(conf, "w") as f:
            # cloaks stay on (the clients must cope with them); every
            # connection here is from loopback, exempted from the
            # per-address limits as a bouncer host would be
            f.write("[server]\nname = %s\nnetwork = TestNet\nstate_directory = %s\n"
                    "[listen]\naddress = 127.0.0.1:%d\n"
                    "[limits]\nexempt = 127.0.0.0/8\n" % (self.NAME, self.t.path(""), self.port))
        return conf

    def _ngircd_conf(self):
        conf = self.t.path("ngircd.conf")
        with open(conf, "w") as f:
            f.write("""[Global]
Name = %s
Info = ngIRCd stand-in for the ircmini client tests
Network = TestNet
Listen = 127.0.0.1
Ports = %d
MotdPhrase = Message of the day of the test server
AdminInfo1 = test
AdminInfo2 = test
AdminEMail = test@irc.test
[Limits]
PingTimeout = 120
[Options]
DNS = no
Ident = no
PAM = no
""" % (self.NAME, self.port))
        return conf

    def command(self):
        tmpl = os.environ.get("SERVER_CMD")
        if tmpl:
            self.kind = "custom"
            conf = self._ircmini_conf()
            cmd = (tmpl.replace("{PORT}", str(self.port)).replace("{CONF}", conf)
                   .replace("{DIR}", self.t.out))
            return ["/bin/sh", "-c", "exec " + cmd], None
        kind = os.environ.get("SERVER", "ircmini")
        self.kind = kind
        if kind == "ngircd":
            ng = find_ngircd()
            if not ng:
                self.t.hard("SERVER=ngircd but no ngircd binary found (set NGIRCD)")
            env = dict(os.environ)
            root = os.path.dirname(os.path.dirname(os.path.dirname(ng)))
            libdir = os.path.join(root, "usr", "lib", "x86_64-linux-gnu")
            if root not in ("/", "") and os.path.isdir(libdir):
                env["LD_LIBRARY_PATH"] = libdir  # libident from an extracted .deb
            return [ng, "-n", "-f", self._ngircd_conf()], env
        if kind != "ircmini":
            self.t.hard("unknown SERVER=%r (ircmini or ngircd)" % kind)
        binary = default_ircmini()
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            self.t.hard("server binary %s not found (build it or set IRCMINI)" % binary)
        extra = shlex.split(os.environ.get("IRCMINI_ARGS", ""))
        self.wrapper = shlex.split(os.environ.get("IRCMINI_WRAPPER", ""))  # e.g. valgrind
        return self.wrapper + [binary, "-c", self._ircmini_conf()] + extra, None

    def start(self):
        cmd, env = self.command()
        self.t.log("server (%s): %s" % (self.kind, " ".join(shlex.quote(c) for c in cmd)))
        self.errf = open(self.t.path(self.LOG), "w")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.errf,
                                     stderr=subprocess.STDOUT, env=env, cwd=self.t.out,
                                     start_new_session=True)
        self.t.at_cleanup(self.stop)
        if not wait_port(self.port, 30 if self.wrapper else 10, self.proc):
            rc = self.proc.poll()
            fail("server does not listen on 127.0.0.1:%d (%s)" % (
                self.port, "exited with %s" % rc if rc is not None else "still running"))
        self.t.log("server listening on 127.0.0.1:%d" % self.port)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    SANITIZER = re.compile(r"ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:"
                           r"|SUMMARY: \w+Sanitizer"
                           r"|==\d+== (Invalid (read|write|free)|Conditional jump"
                           r"|Use of uninitialised|Mismatched free|Syscall param"
                           r"|Source and destination overlap)")

    def finish(self):
        """End of the session: the server must still run, stop cleanly on
        SIGTERM and have printed no sanitizer report."""
        if not self.alive():
            fail("the server died during the session (exit %s), see %s"
                 % (self.proc.returncode if self.proc else "?", self.LOG))
        self.stop()
        rc = self.returncode
        with open(self.t.path(self.LOG), errors="replace") as f:
            bad = [ln.rstrip() for ln in f if self.SANITIZER.search(ln)]
        if bad:
            fail("sanitizer report in %s:\n    " % self.LOG + "\n    ".join(bad[:10]))
        if rc is not None and rc < 0 and rc != -signal.SIGTERM:
            fail("the server died of signal %d when stopped" % -rc)
        self.t.ok("server %s still running at the end, stopped cleanly (exit %s)" % (self.NAME, rc))

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(15 if self.wrapper else 3)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(3)
        self.returncode = self.proc.returncode
        self.errf.close()
        self.proc = None


# ---------------------------------------------------------------------------
# A logging proxy between the client and the server
# ---------------------------------------------------------------------------

class WireProxy:
    """Forwards 127.0.0.1:self.port to the server; logs every line.

    Log format (OUT/wire.log):  +secs cN C> line   (client to server)
                                +secs cN S> line   (server to client)
    """

    def __init__(self, t, target_port, logname="wire.log"):
        self.t = t
        self.target = target_port
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.port = self.lsock.getsockname()[1]
        self.lines = []          # (conn, dir, text)
        self.lock = threading.Lock()
        self.logf = open(t.path(logname), "w")
        self.conns = 0
        self.socks = []
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()
        t.at_cleanup(self.stop)

    def _record(self, cid, d, text):
        with self.lock:
            self.lines.append((cid, d, text))
            if not self.logf.closed:
                self.logf.write("+%.3f c%d %s %s\n" % (now() - self.t.t0, cid, d, text))
                self.logf.flush()

    def _accept(self):
        while not self.stopped:
            try:
                c, addr = self.lsock.accept()
            except OSError:
                return
            self.conns += 1
            cid = self.conns
            try:
                s = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError as e:
                self._record(cid, "**", "cannot connect to server: %s" % e)
                c.close()
                continue
            self._record(cid, "**", "connect from %s:%d" % addr)
            self.socks += [c, s]
            threading.Thread(target=self._pump, args=(cid, c, s), daemon=True).start()

    def _pump(self, cid, c, s):
        bufs = {c: b"", s: b""}
        other = {c: s, s: c}
        tag = {c: "C>", s: "S>"}
        open_ = {c, s}
        while open_ == {c, s}:
            try:
                r, _, _ = select.select(list(open_), [], [], 0.5)
            except (OSError, ValueError):
                break
            for x in r:
                try:
                    data = x.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    open_.discard(x)
                    self._record(cid, "**", "%s closed the connection" % (
                        "client" if x is c else "server"))
                    continue
                try:
                    other[x].sendall(data)
                except OSError:
                    open_.discard(other[x])
                bufs[x] += data
                while b"\n" in bufs[x]:
                    ln, bufs[x] = bufs[x].split(b"\n", 1)
                    text = ln.rstrip(b"\r").decode("utf-8", "replace")
                    text = text.replace("\x01", "\\x01")
                    self._record(cid, tag[x], text)
        for x in (c, s):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            x.close()

    def find(self, direction, regex, start=0):
        rx = re.compile(regex)
        with self.lock:
            for i in range(start, len(self.lines)):
                cid, d, text = self.lines[i]
                if d == "S>" and text.startswith("@") and " " in text:
                    text = text.split(" ", 1)[1]   # IRCv3 tags (server-time)
                if d == direction and rx.search(text):
                    return text
        return None

    def mark(self):
        with self.lock:
            return len(self.lines)

    def wait(self, direction, regex, timeout, start=0, what=None):
        r = poll(lambda: self.find(direction, regex, start), timeout)
        if r is None:
            fail("%s: no %s line matching /%s/ within %.0f s (see wire.log)" % (
                what or "wire", direction, regex, timeout))
        return r

    def client_commands(self):
        """Distinct commands the client sent (first word of each C> line)."""
        seen = []
        with self.lock:
            for cid, d, text in self.lines:
                if d == "C>" and text:
                    cmd = text.split(" ", 1)[0].upper()
                    if cmd not in seen:
                        seen.append(cmd)
        return seen

    def stop(self):
        self.stopped = True
        try:
            self.lsock.close()
        except OSError:
            pass
        for x in self.socks:
            try:
                x.close()
            except OSError:
                pass
        self.logf.close()


# ---------------------------------------------------------------------------
# The other participant: raw IRC over a socket
# ---------------------------------------------------------------------------

class Peer:
    def __init__(self, t, port, nick="peer1", user="peer", real="Peer Participant",
                 logname="peer.log"):
        self.t = t
        self.nick = nick
        self.lines = []
        self.lock = threading.Lock()
        self.logf = open(t.path(logname), "w")
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.settimeout(None)
        self.closed = False
        threading.Thread(target=self._reader, daemon=True).start()
        t.at_cleanup(self.close)
        self.send("NICK %s" % nick)
        self.send("USER %s 0 * :%s" % (user, real))
        self.wait(r"^:\S+ 001 ", 10, what="peer registration")
        t.log("peer %s registered" % nick)

    def _write_log(self, d, text):
        try:
            self.logf.write("+%.3f %s %s\n" % (now() - self.t.t0, d, text))
            self.logf.flush()
        except ValueError:  # closed during cleanup
            pass

    def _reader(self):
        buf = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self.lock:
                    self.closed = True
                    self._write_log("**", "connection closed")
                return
            buf += data
            while b"\n" in buf:
                ln, buf = buf.split(b"\n", 1)
                text = ln.rstrip(b"\r").decode("utf-8", "replace")
                with self.lock:
                    self.lines.append(text)
                    self._write_log("<", text.replace("\x01", "\\x01"))
                if text.startswith("PING"):
                    self.send("PONG" + text[4:])

    def send(self, line):
        with self.lock:
            self._write_log(">", line.replace("\x01", "\\x01"))
        try:
            self.sock.sendall(line.encode() + b"\r\n")
        except OSError as e:
            fail("peer cannot send %r: %s" % (line, e))

    def mark(self):
        with self.lock:
            return len(self.lines)

    def find(self, regex, start=0):
        rx = re.compile(regex)
        with self.lock:
            for ln in self.lines[start:]:
                if rx.search(ln):
                    return ln
        return None

    def wait(self, regex, timeout, start=0, what=None):
        r = poll(lambda: self.find(regex, start), timeout, 0.05)
        if r is None:
            fail("%s: the peer did not receive a line matching /%s/ within %.0f s"
                 " (see peer.log)" % (what or "peer", regex, timeout))
        return r

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        try:
            self.logf.close()
        except Exception:
            pass


# ---------------------------------------------------------------------------
# tmux
# ---------------------------------------------------------------------------

class Tmux:
    """A private tmux server (own socket) running one client program."""

    def __init__(self, t, width=220, height=50):
        self.t = t
        self.sockdir = tempfile.mkdtemp(prefix="ircmini-tmux-")
        self.sock = os.path.join(self.sockdir, "s")
        self.width, self.height = width, height
        self.session = "client"
        self.shots = 0
        self.started = False
        self.seen = {}           # every screen line ever captured, in order
        t.at_cleanup(self.kill)

    def tmux(self, *args, check=True):
        r = subprocess.run(["tmux", "-S", self.sock] + list(args),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=10)
        if check and r.returncode != 0:
            fail("tmux %s: %s" % (" ".join(args), r.stderr.decode(errors="replace").strip()))
        return r.stdout.decode("utf-8", "replace")

    def start(self, argv, env=None):
        cmd = " ".join(shlex.quote(a) for a in argv)
        envargs = []
        for k, v in (env or {}).items():
            envargs += ["-e", "%s=%s" % (k, v)]
        # -f /dev/null: ignore the user's ~/.tmux.conf
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", self.session,
                  "-x", str(self.width), "-y", str(self.height), *envargs,
                  "--", "exec " + cmd)
        self.started = True
        self.tmux("set-option", "-t", self.session, "remain-on-exit", "on", check=False)
        self.tmux("set-option", "-g", "history-limit", "10000", check=False)
        self.t.log("tmux: %s" % cmd)

    def send(self, text, enter=True):
        self.tmux("send-keys", "-t", self.session, "-l", text)
        if enter:
            self.tmux("send-keys", "-t", self.session, "Enter")

    def key(self, *keys):
        self.tmux("send-keys", "-t", self.session, *keys)

    def capture(self, history=False):
        args = ["capture-pane", "-p", "-J", "-t", self.session]
        if history:
            args += ["-S", "-"]
        text = self.tmux(*args, check=False)
        for ln in text.splitlines():
            ln = ln.rstrip()
            if ln:
                self.seen.setdefault(ln, None)
        return text

    def pane_dead(self):
        out = self.tmux("display-message", "-p", "-t", self.session, "#{pane_dead}",
                        check=False).strip()
        return out in ("1", "")

    def save(self, label, history=True):
        self.shots += 1
        text = self.capture(history)
        name = "screen-%02d-%s.txt" % (self.shots, re.sub(r"[^A-Za-z0-9_.-]+", "_", label))
        with open(self.t.path(name), "w") as f:
            f.write(text)
        return text

    def wait(self, regex, timeout, what, history=True, flags=re.I | re.M):
        """Poll the screen until regex matches; fail with the screen saved."""
        rx = re.compile(regex, flags)
        last = [""]

        def cond():
            last[0] = self.capture(history)
            return rx.search(last[0])
        m = poll(cond, timeout, 0.15)
        if not m:
            self.save("FAILED-" + what)
            fail("%s: screen does not show /%s/ within %.0f s" % (what, regex, timeout))
        return m

    def kill(self):
        if self.started:
            subprocess.run(["tmux", "-S", self.sock, "kill-server"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
            self.started = False
        shutil.rmtree(self.sockdir, ignore_errors=True)


def find_errors(text, patterns=ERROR_PATTERNS, ignore=()):
    """Lines of text that match an error pattern (and no ignore pattern)."""
    bad = []
    rxs = [re.compile(p, re.I) for p in patterns]
    irx = [re.compile(p, re.I) for p in ignore]
    for ln in text.splitlines():
        if any(r.search(ln) for r in rxs) and not any(r.search(ln) for r in irx):
            ln = ln.strip(" \u2502")
            if ln not in bad:
                bad.append(ln)
    return bad


def write_file(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


# ---------------------------------------------------------------------------
# The tmux-driven clients: a throw-away home and the command line
# ---------------------------------------------------------------------------

CLIENT_ENV = {"LANG": "C.UTF-8", "TERM": "screen"}


def weechat_binary():
    return shutil.which("weechat") or shutil.which("weechat-curses")


def irssi_argv(home, port, nick, real="Irssi Tester"):
    """irssi with its config in home, connecting to 127.0.0.1:port."""
    os.makedirs(home, exist_ok=True)
    write_file(os.path.join(home, "config"), """settings = {
  core = {
    real_name = "%s";
    user_name = "irssi";
    nick = "%s";
  };
  "irc/core" = {
    # irssi's own anti-flood queue (2.2 s a command) would make the test slow
    cmd_queue_speed = "100msec";
    cmds_max_at_once = "20";
  };
  "fe-common/core" = {
    autoclose_windows = "no";
    beep_msg_level = "";
  };
};
""" % (real, nick))
    return ["irssi", "--home=" + home, "-c", "127.0.0.1", "-p", str(port), "-n", nick]


def weechat_argv(home, port, nick, real="WeeChat Tester"):
    """WeeChat with all its files in home, server "test" = 127.0.0.1:port."""
    os.makedirs(home, exist_ok=True)
    setup = [
        "/server add test 127.0.0.1/%d -notls" % port,
        "/set irc.server.test.nicks %s" % nick,
        "/set irc.server.test.username weechat",
        "/set irc.server.test.realname \"%s\"" % real,
        # WeeChat's own anti-flood queue (2 s a message) would make the test slow
        "/set irc.server.test.anti_flood_prio_high 0",
        "/set irc.server.test.anti_flood_prio_low 0",
        # lag check (PING <address>) after 2 s instead of 60 s
        "/set irc.network.lag_check 2",
        "/connect test",
    ]
    # -d: all files in home (config, logs, fifo); -a: no auto-connect from an
    # old config; -s: no scripts; -P: only the plugins the tests need.
    return [weechat_binary(), "-d", home, "-a", "-s", "-P", "irc,buflist,logger,alias",
            "-r", ";".join(setup)]

#!/usr/bin/env python3
"""ircmini under a real systemd (issue 14): `make install DESTDIR=` into an
overlay of a minimal Debian 12 root, boot it with systemd-nspawn, and drive
systemctl inside it (through nsenter, so no machined is needed): start,
reload (good file, bad file), restart with a bad file, a crash, stop,
TLS with a key the service user cannot read and then can, socket
activation with a replaced ListenStream=, and `systemd-analyze security`.

The root is built once with mmdebstrap and cached (IRCMINI_TEST_ROOT_CACHE,
default /var/cache/ircmini-test-root), keyed by its package list: systemd,
dbus and the packages of the libraries the binary links. Exits 77 (SKIP)
where that cannot work: not root, a tool missing, a sanitizer build, no
network for the first mmdebstrap, or no container boots here."""
import ctypes
import fcntl
import hashlib
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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from ircharness import BINARY, Client  # noqa: E402

SUITE = "bookworm"
CACHE = os.environ.get("IRCMINI_TEST_ROOT_CACHE", "/var/cache/ircmini-test-root")
BUILDDIR = os.environ.get("abs_top_builddir") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")
CONTAINER_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                 "LANG": "C.UTF-8", "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0",
                 "TERM": "dumb"}
T = 20          # seconds for any one systemctl step; never a pass/fail criterion


T0 = time.time()


def log(msg):
    print("[%5.1f] %s" % (time.time() - T0, msg), flush=True)


def skip(why):
    log("SKIP: " + why)
    sys.exit(77)


def run(argv, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 120)
    return subprocess.run(argv, **kw)


# ---- can this work here? ---------------------------------------------------
def preflight():
    if os.geteuid() != 0:
        skip("systemd-nspawn needs root")
    for tool, pkg in (("systemd-nspawn", "systemd-container"), ("mmdebstrap", "mmdebstrap"),
                      ("nsenter", "util-linux"), ("openssl", "openssl"), ("make", "make"),
                      ("dpkg", "dpkg"), ("ldd", "libc-bin")):
        if not shutil.which(tool):
            skip("no %s (Debian package %s)" % (tool, pkg))
    feats = run([BINARY, "-V"]).stdout
    if "sanitizers" in feats:
        skip("sanitizer build: the runtime is not in the container (the plain build runs this)")
    if " systemd" not in feats:
        skip("built without libsystemd: Type=notify cannot work")
    # A container that only runs /usr/bin/true, with the host's /usr: a few
    # hundred milliseconds, and it fails where namespaces are not allowed.
    probe = tempfile.mkdtemp(prefix="ircmini-nspawn-probe-")
    try:
        for d in ("usr", "etc", "proc", "sys", "dev", "run", "tmp", "var"):
            os.mkdir(os.path.join(probe, d))
        for l in ("bin", "sbin", "lib", "lib64"):
            if os.path.islink("/" + l):
                os.symlink(os.readlink("/" + l), os.path.join(probe, l))
        shutil.copy("/etc/os-release", os.path.join(probe, "etc", "os-release"))
        r = run(["systemd-nspawn", "-q", "--register=no", "--keep-unit", "--private-network",
                 "-D", probe, "--bind-ro=/usr", "/usr/bin/true"], timeout=60,
                stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            skip("systemd-nspawn cannot start a container here: " + (r.stderr or r.stdout)[-500:])
    except subprocess.TimeoutExpired:
        skip("systemd-nspawn probe did not finish in 60 s")
    finally:
        shutil.rmtree(probe, ignore_errors=True)


# ---- the cached root ---------------------------------------------------------
def runtime_packages():
    """Debian packages of the shared libraries the binary links."""
    libs = []
    for line in run(["ldd", BINARY]).stdout.splitlines():
        m = re.search(r"=> (/\S+)", line) or re.match(r"\s*(/\S+)", line)
        if m:
            p = m.group(1)
            cands = {p, os.path.realpath(p)}     # dpkg knows /lib/x, not /usr/lib/x
            libs.append(cands | {c[4:] for c in cands if c.startswith("/usr/")})
    owner = {}
    # one dpkg call: it takes seconds per call on a busy machine
    for line in run(["dpkg", "-S"] + sorted(set().union(*libs))).stdout.splitlines():
        pkg, _, path = line.partition(": ")
        owner[path.strip()] = pkg.split(":")[0]
    pkgs = set()
    for cands in libs:
        found = [owner[c] for c in cands if c in owner]
        if not found:
            skip("no Debian package owns %s: the container could not run this binary"
                 % min(cands))
        pkgs.add(found[0])
    return sorted(pkgs)


def cached_root():
    pkgs = sorted(set(["systemd", "dbus"] + runtime_packages()))
    key = hashlib.sha256(("%s minbase %s" % (SUITE, " ".join(pkgs))).encode()).hexdigest()[:16]
    os.makedirs(CACHE, exist_ok=True)
    root = os.path.join(CACHE, key)
    with open(os.path.join(CACHE, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)     # one mmdebstrap at a time
        if os.path.exists(os.path.join(root, ".complete")):
            log("cached root %s (%s)" % (root, " ".join(pkgs)))
            return root
        tmp = root + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        log("building the root once with mmdebstrap (%s): %s" % (SUITE, " ".join(pkgs)))
        t0 = time.time()
        try:
            r = run(["mmdebstrap", "--variant=minbase", "--include=" + ",".join(pkgs), SUITE, tmp],
                    timeout=900, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            shutil.rmtree(tmp, ignore_errors=True)
            skip("mmdebstrap took over 15 minutes (network to the Debian mirror?)")
        if r.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            skip("mmdebstrap failed: no network to the Debian mirror? Its last words:\n"
                 + (r.stderr + r.stdout)[-1500:])
        log("mmdebstrap took %.0f s" % (time.time() - t0))
        open(os.path.join(tmp, ".complete"), "w").close()
        os.rename(tmp, root)
        for old in os.listdir(CACHE):       # roots of older package lists
            if re.fullmatch(r"[0-9a-f]{16}(\.tmp)?", old) and old != key:
                shutil.rmtree(os.path.join(CACHE, old), ignore_errors=True)
    return root


def writable_copy(lower, work):
    """An overlay over the cached root (a plain copy where overlayfs fails)."""
    merged = os.path.join(work, "root")
    for d in ("upper", "work", "root"):
        os.mkdir(os.path.join(work, d))
    r = run(["mount", "-t", "overlay", "overlay", "-o", "lowerdir=%s,upperdir=%s,workdir=%s"
             % (lower, os.path.join(work, "upper"), os.path.join(work, "work")), merged])
    if r.returncode == 0:
        return merged, True
    log("no overlayfs (%s), copying the root" % r.stderr.strip())
    os.rmdir(merged)
    run(["cp", "-a", "--reflink=auto", lower, merged], check=True, timeout=600)
    return merged, False


# ---- the container -------------------------------------------------------------
class Container:
    def __init__(self, root, work):
        self.root = root
        self.console = open(os.path.join(work, "console.log"), "w+")
        self.proc = subprocess.Popen(
            ["systemd-nspawn", "-q", "-D", root, "-b", "--register=no", "--keep-unit",
             "--private-network", "--console=read-only", "--machine=ircmini-test"],
            stdin=subprocess.DEVNULL, stdout=self.console, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.leader = None

    def boot(self):
        deadline = time.time() + 60
        while self.leader is None:
            if self.proc.poll() is not None or time.time() > deadline:
                skip("systemd-nspawn could not boot the root:\n" + self.console_tail())
            for pid in os.listdir("/proc"):
                try:
                    with open("/proc/%s/stat" % pid) as f:
                        st = f.read()
                except (OSError, ValueError):
                    continue
                fields = st[st.rindex(")") + 2:].split()
                if pid.isdigit() and int(fields[1]) == self.proc.pid and "(systemd)" in st:
                    self.leader = int(pid)
            time.sleep(0.1)
        deadline = time.time() + 120
        while True:     # systemctl fails until PID 1 has made its socket
            try:
                r = self.sh("systemctl", "is-system-running", "--wait", timeout=120)
            except subprocess.TimeoutExpired:
                r = None
            if r and "Failed to connect to bus" not in r.stderr or time.time() > deadline:
                break
            time.sleep(0.2)
        if r is None:
            skip("the container's systemd did not finish booting in 120 s:\n" + self.console_tail())
        if r.stdout.strip() not in ("running", "degraded"):
            skip("the container's systemd did not boot (%s %s):\n%s"
                 % (r.stdout.strip(), r.stderr.strip(), self.console_tail()))
        log("container booted: %s" % r.stdout.strip())

    def console_tail(self):
        self.console.flush()
        with open(self.console.name, errors="replace") as f:
            return f.read()[-3000:]

    def sh(self, *argv, timeout=T, stdin=None):
        return run(["nsenter", "-t", str(self.leader), "-a", "--"] + list(argv),
                   env=CONTAINER_ENV, timeout=timeout, input=stdin)

    def enter_network(self):
        """This process's sockets from now on are in the container's network."""
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open("/proc/%d/ns/net" % self.leader, os.O_RDONLY)
        if libc.setns(fd, 0x40000000) != 0:     # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), "setns")
        os.close(fd)

    def stop(self):
        if self.proc.poll() is None and self.leader:
            try:
                self.sh("systemctl", "poweroff", "--no-block")
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.console.close()


# ---- the checks ----------------------------------------------------------------
class Checks:
    def __init__(self, box, unit_conf, binary):
        self.box, self.conf, self.binary = box, unit_conf, binary
        self.n = 0

    def ok(self, what):
        self.n += 1
        log("ok %d - %s" % (self.n, what))

    def systemctl(self, *args):
        return self.box.sh("systemctl", *args)

    def prop(self, unit, name):
        return self.systemctl("show", "-P", name, unit).stdout.strip()

    def status(self, unit="ircmini.service"):
        return self.systemctl("status", "--no-pager", "-l", "-n", "30", unit).stdout

    def write_conf(self, text):
        with open(self.box.root + self.conf, "w") as f:
            f.write(text)

    def until(self, what, fn, limit=30):
        deadline = time.time() + limit
        while True:
            v = fn()
            if v:
                return v
            assert time.time() < deadline, "still not %s after %d s" % (what, limit)
            time.sleep(0.1)


def config(motd, extra_listen="", extra=""):
    return ("[server]\nname = irc.test\nnetwork = TestNet\nmotd = %s\n%s\n"
            "[listen]\naddress = 127.0.0.1:6667\naddress = 127.0.0.1:194\n%s" % (motd, extra, extra_listen))


_nicks = iter(range(1, 1000))


def motd_of(port, nick):
    nick = "%s%d" % (nick, next(_nicks))     # the earlier ones may still be there
    c = Client(port)
    c.send("NICK " + nick)
    c.send("USER %s 0 * :t" % nick)
    lines = c.collect_until(r" (376|422) ")
    return c, [l.split(" :- ", 1)[-1] for l in lines if " 372 " in l]


def scenario(ck):
    box = ck.box
    # 1. start: READY=1 reached, both ports bound as the dynamic user
    ck.write_conf(config("first motd"))
    r = ck.systemctl("start", "ircmini.service")
    assert r.returncode == 0, (r, ck.status())
    assert ck.prop("ircmini", "ActiveState") == "active" and ck.prop("ircmini", "SubState") == "running"
    ck.ok("systemctl start returns with the unit active (running): READY=1 reached")
    pid = ck.prop("ircmini", "MainPID")
    uid = re.search(r"^Uid:\s+(\d+)", box.sh("cat", "/proc/%s/status" % pid).stdout, re.M).group(1)
    assert uid != "0", uid
    alice, motd = motd_of(6667, "alice")
    assert motd == ["first motd"], motd
    alice.send("JOIN #sd")
    alice.expect(r" 366 ")
    Client(194).register("low").send("QUIT")
    ck.ok("clients connect on 6667 and on port 194 (CAP_NET_BIND_SERVICE) to a server "
          "running as uid %s" % uid)

    # the sandbox of the shipped unit, before any drop-in
    r = box.sh("systemd-analyze", "security", "--no-pager", "ircmini.service")
    m = re.search(r"Overall exposure level for ircmini\.service: ([\d.]+)", r.stdout)
    assert m, r
    assert float(m.group(1)) <= 2.0, r.stdout[-3000:]
    ck.ok("systemd-analyze security: exposure %s (at most 2.0)" % m.group(1))

    # 2. reload with a new MOTD: no /bin/kill needed, the client stays
    assert not os.path.exists(box.root + "/usr/bin/kill") and not os.path.exists(box.root + "/bin/kill")
    ck.write_conf(config("second motd"))
    r = ck.systemctl("reload", "ircmini")
    assert r.returncode == 0, (r, ck.status())
    # reload returns once the server has applied it (ExecReload waits)
    bob, motd = motd_of(6667, "bob")
    assert motd == ["second motd"], motd
    alice.sync()
    assert ck.prop("ircmini", "MainPID") == pid
    ck.ok("systemctl reload (no /bin/kill in the root): a new client sees the new MOTD, "
          "the old one is still connected, same PID")

    # 3. reload with a broken file: reload fails, the server keeps running
    ck.write_conf(config("third motd", extra="bogus_key = 1\n"))
    r = ck.systemctl("reload", "ircmini")
    assert r.returncode != 0, r
    assert ck.prop("ircmini", "ActiveState") == "active" and ck.prop("ircmini", "MainPID") == pid
    ck.until("the error in systemctl status",
             lambda: re.search(r"ircmini\.ini:5: \[server\] bogus_key", ck.status()), 15)
    c, motd = motd_of(6667, "carol")
    assert motd == ["second motd"], motd
    alice.sync()
    ck.ok("systemctl reload of a bad file fails (rc %d), names file:line:key in status, "
          "the server runs on, unchanged" % r.returncode)

    # 3b. a file that passes -t but that the server must refuse: a new
    # address someone else holds. The reload fails all the same.
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", 6669))
    holder.listen()
    ck.write_conf(config("fourth motd", extra_listen="address = 127.0.0.1:6669\n"))
    r = ck.systemctl("reload", "ircmini")
    assert r.returncode != 0, r
    st = ck.status()
    assert "Status: \"last reload failed" in st, st
    holder.close()
    c, motd = motd_of(6667, "dave")
    assert motd == ["second motd"], motd
    assert ck.prop("ircmini", "MainPID") == pid
    ck.ok("systemctl reload of a file the server refuses (a new address in use) fails "
          "too (rc %d), Status: in systemctl status says so, the server runs on" % r.returncode)

    # 4. a crash is restarted
    ck.write_conf(config("second motd"))
    ck.systemctl("kill", "-s", "SEGV", "--kill-who=main", "ircmini")
    alice.wait_closed(T)
    ck.until("restarted", lambda: ck.prop("ircmini", "NRestarts") == "1"
             and ck.prop("ircmini", "ActiveState") == "active"
             and ck.prop("ircmini", "SubState") == "running", 30)
    assert ck.prop("ircmini", "MainPID") != pid
    alice = Client(6667).register("alice")
    ck.ok("SIGSEGV: the unit restarts (NRestarts=1, new PID) and serves again")

    # 5. stop: every client hears why
    alice.join("#sd")
    r = ck.systemctl("stop", "ircmini")
    assert r.returncode == 0, r
    alice.expect(r"^ERROR :Closing Link", T)
    assert ck.prop("ircmini", "ActiveState") == "inactive"
    ck.ok("systemctl stop: the client gets ERROR :Closing Link, the unit is inactive")

    # 6. (re)start with a bad file: failed at once, not restarted, reason shown
    ck.systemctl("start", "ircmini")
    ck.write_conf(config("x", extra="bogus_key = 1\n"))
    r = ck.systemctl("restart", "ircmini")
    assert r.returncode != 0, r
    state = (ck.prop("ircmini", "ActiveState"), ck.prop("ircmini", "SubState"),
             ck.prop("ircmini", "Result"), ck.prop("ircmini", "ExecMainStatus"),
             ck.prop("ircmini", "NRestarts"))
    # auto-restart would show as activating/auto-restart right away
    assert state == ("failed", "failed", "exit-code", "1", "0"), (state, ck.status())
    ck.until("the error in systemctl status",
             lambda: re.search(r"ircmini\.ini:5: \[server\] bogus_key", ck.status()), 15)
    ck.ok("restart with a bad file: unit failed (Result=exit-code, status 1, NRestarts=0), "
          "file:line:key in systemctl status")

    # 7. TLS: a key only root reads fails the start like a bad file; -t as
    # root says so; the documented group recipe makes it work
    tls = "/etc/ircmini/tls"
    os.makedirs(box.root + tls)
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=irc.test", "-keyout", box.root + tls + "/key.pem",
         "-out", box.root + tls + "/cert.pem"], check=True)
    os.chmod(box.root + tls + "/key.pem", 0o600)
    os.chmod(box.root + tls + "/cert.pem", 0o644)
    ck.write_conf(config("tls motd", extra_listen="tls = 127.0.0.1:6697\n")
                  + "[tls]\ncertificate = %s/cert.pem\nkey = %s/key.pem\n" % (tls, tls))
    r = box.sh(ck.binary, "-t", "-c", ck.conf)
    assert r.returncode == 0 and "OK for root" in r.stdout, r
    assert "key.pem: the file (mode 0600) keeps the service's unprivileged user out" in r.stderr, r
    ck.ok("ircmini -t as root: OK for root, and warns that the key is unreadable by the service")
    ck.systemctl("reset-failed", "ircmini")
    r = ck.systemctl("start", "ircmini")
    assert r.returncode != 0 and ck.prop("ircmini", "ActiveState") == "failed", r
    assert ck.prop("ircmini", "NRestarts") == "0"
    ck.until("the TLS error in systemctl status",
             lambda: re.search(r"\[tls\] key: cannot read .*Permission denied", ck.status()), 15)
    ck.ok("key readable only by root: start fails, not restarted, the reason in status")
    for cmd in (["groupadd", "--system", "ircmini-tls"],
                ["chgrp", "ircmini-tls", tls + "/key.pem"], ["chmod", "640", tls + "/key.pem"]):
        r = box.sh(*cmd)
        assert r.returncode == 0, r
    os.makedirs(box.root + "/etc/systemd/system/ircmini.service.d")
    with open(box.root + "/etc/systemd/system/ircmini.service.d/tls.conf", "w") as f:
        f.write("[Service]\nSupplementaryGroups=ircmini-tls\n")
    r = box.sh(ck.binary, "-t", "-c", ck.conf)
    assert "lets only group ircmini-tls in: the service needs SupplementaryGroups=ircmini-tls" \
        in r.stderr, r
    ck.systemctl("daemon-reload")
    ck.systemctl("reset-failed", "ircmini")
    r = ck.systemctl("start", "ircmini")
    assert r.returncode == 0, (r, ck.status())
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", 6697), T)) as s:
        s.sendall(b"NICK tls\r\nUSER tls 0 * :t\r\n")
        got = b""
        while b" 001 " not in got:
            data = s.recv(4096)
            assert data, got
            got += data
    ck.ok("group ircmini-tls + SupplementaryGroups= drop-in: the service starts and serves TLS")
    ck.systemctl("stop", "ircmini")

    # 8. socket activation, with the shipped ListenStream= replaced
    ck.write_conf(config("socket motd"))
    os.makedirs(box.root + "/etc/systemd/system/ircmini.socket.d")
    with open(box.root + "/etc/systemd/system/ircmini.socket.d/port.conf", "w") as f:
        f.write("[Socket]\nListenStream=\nListenStream=127.0.0.1:6668\n")
    ck.systemctl("daemon-reload")
    r = ck.systemctl("start", "ircmini.socket")
    assert r.returncode == 0, r
    assert ck.prop("ircmini.service", "ActiveState") == "inactive"
    try:
        Client(6667)
        raise AssertionError("127.0.0.1:6667 still listens: the drop-in added to ListenStream=")
    except ConnectionRefusedError:
        pass
    c, motd = motd_of(6668, "sock")
    assert motd == ["socket motd"], motd
    assert ck.prop("ircmini.service", "ActiveState") == "active"
    ck.ok("socket activation: an empty ListenStream= resets the list, the first client "
          "starts the service and registers")
    r = ck.systemctl("reload", "ircmini")
    assert r.returncode == 0, r
    c.sync()
    ck.systemctl("stop", "ircmini.service", "ircmini.socket")

def main():
    preflight()
    log("preflight passed")
    root = cached_root()
    work = tempfile.mkdtemp(prefix="ircmini-systemd-", dir="/var/tmp")
    merged, overlay, box = None, False, None
    try:
        merged, overlay = writable_copy(root, work)
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        r = run(["make", "-C", BUILDDIR, "install", "DESTDIR=" + merged], env=env, timeout=300)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
        units = [d for d in ("/usr/local/lib/systemd/system", "/usr/lib/systemd/system",
                             "/lib/systemd/system", "/etc/systemd/system")
                 if os.path.exists(merged + d + "/ircmini.service")]
        if not units:
            skip("make install put no ircmini.service where systemd looks "
                 "(configured --without-systemdsystemunitdir or another prefix?)")
        with open(merged + units[0] + "/ircmini.service") as f:
            m = re.search(r"^ExecStart=(\S+) -c (\S+)$", f.read(), re.M)
        binary, conf = m.group(1), m.group(2)
        log("installed: %s, %s, %s/ircmini.service" % (binary, conf, units[0]))
        box = Container(merged, work)
        log("booting")
        box.boot()
        box.enter_network()
        ck = Checks(box, conf, binary)
        try:
            scenario(ck)
        except BaseException:
            log("---- systemctl status ircmini\n" + ck.status())
            log("---- journal\n" + box.sh("journalctl", "--no-pager", "-n", "60",
                                          "-u", "ircmini.service", "-u", "ircmini.socket").stdout)
            raise
        log("PASS: %d checks" % ck.n)
    finally:
        if box:
            box.stop()
        if overlay:
            run(["umount", merged])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

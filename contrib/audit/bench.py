#!/usr/bin/env python3
"""bench.py - the security audit's cost scenarios (issue 15), measured as
server CPU time (utime + stime from /proc/PID/stat) for a fixed amount of
client work. A benchmark, not a test: run it against two binaries on the
same machine to compare. Loopback only; every scenario is bounded.

    contrib/audit/bench.py [path/to/ircmini] [scenario ...]

Scenarios: who_long_realname, who_invisible, connect_close_many_channels,
join_repeated_banned, tls_handshake_rsa, tls_handshake_ecdsa,
tls_handshake_ecdsa_client_cert (the client presents an ECDSA certificate).
Prints one line per scenario: name, server CPU ms, work done."""
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "e2e"))
import ircharness  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_ms(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / TICK


def server(config=""):
    base = "[limits]\nflood_burst = 0\nmax_clients = 20000\nmax_channels = 500\n"
    # the per-client and per-address rates off (the scenarios are one
    # address doing what many users would); a build without them refuses
    # the keys, so it gets the config without
    rates = "join_rate = 0\nchannel_rate = 0\nnick_rate = 0\n"
    try:
        return ircharness.Server(base + rates + config)
    except RuntimeError:
        return ircharness.Server(base + config)


def many_clients(srv, n, realname="x", prefix="u", modes=None, chans=()):
    out = []
    for i in range(n):
        c = srv.client("%s%d" % (prefix, i), realname=realname)
        if modes:
            c.send("MODE %s%d %s" % (prefix, i, modes))
        for ch in chans:
            c.send("JOIN " + ch)
        out.append(c)
    for c in out:
        c.sync()
    return out


def who_long_realname():
    """500 users with 450-byte real names; 20 WHO lines with the audit's
    backtracking mask (matches nobody)."""
    srv = server()
    try:
        users = many_clients(srv, 500, realname="a" * 450)   # kept: closed when collected
        asker = srv.client("asker")
        t0 = cpu_ms(srv.proc.pid)
        for _ in range(20):
            asker.send("WHO *" + "?" * 225 + "Z")
            asker.collect_until(r" 315 ", timeout=120)
        assert len(users) == 500
        return cpu_ms(srv.proc.pid) - t0, "20 WHO x 500 users"
    finally:
        srv.stop()


def who_invisible():
    """1000 +i users, each in 50 channels of its own; the asker in 50 other
    channels; 20 'WHO zzz*' lines (the issue's 5,000 x 50, scaled down)."""
    srv = server()
    try:
        users = []
        for i in range(1000):
            c = srv.client("u%d" % i)
            c.send("MODE u%d +i" % i)
            c.send("JOIN " + ",".join("#t%d_%d" % (i, k) for k in range(50)))
            users.append(c)
            if i % 50 == 49:
                for u in users[-50:]:
                    u.sync()
                    u.lines = []
        asker = srv.client("asker")
        asker.send("JOIN " + ",".join("#a%d" % i for i in range(50)))
        asker.sync()
        t0 = cpu_ms(srv.proc.pid)
        for _ in range(20):
            asker.send("WHO zzz*")
            asker.collect_until(r" 315 ", timeout=120)
        assert len(users) == 1000
        return cpu_ms(srv.proc.pid) - t0, "20 WHO x 1000 invisible users in 50 channels"
    finally:
        srv.stop()


def connect_close_many_channels():
    """20,000 channels exist; 500 clients connect and close."""
    srv = server()
    try:
        owners = many_clients(srv, 40, prefix="o")
        for k, o in enumerate(owners):
            for j in range(0, 500, 50):
                o.send("JOIN " + ",".join("#c%d_%d" % (k, i) for i in range(j, j + 50)))
            o.sync()
        t0 = cpu_ms(srv.proc.pid)
        for _ in range(500):
            socket.create_connection(("127.0.0.1", srv.port)).close()
        owners[0].sync()
        time.sleep(0.5)
        return cpu_ms(srv.proc.pid) - t0, "500 connect+close, 20000 channels"
    finally:
        srv.stop()


def join_repeated_banned():
    """A channel with 60 bans: one that matches the joiner (checked last)
    and 59 crafted to be slow for a backtracking matcher; 200 JOIN lines
    naming it 40 times each (every name refused with 474)."""
    srv = server()
    try:
        op = srv.client("op")
        op.join("#b")
        nick = "j" + "a" * 29
        op.send("MODE #b +b %s!*@*" % nick)
        for i in range(59):
            op.send("MODE #b +b *%sQ%s" % ("?" * 24, chr(65 + i % 26) + chr(65 + i // 26)))
        op.sync()
        j = srv.client(nick, user="victim")
        line = "JOIN " + ",".join(["#b"] * 40)
        t0 = cpu_ms(srv.proc.pid)
        for _ in range(200):
            j.send(line)
        j.sync()
        return cpu_ms(srv.proc.pid) - t0, "200 JOIN lines x 40 names, 60 bans"
    finally:
        srv.stop()


def make_cert(d, name, kind):
    cert, key = os.path.join(d, name + "-c.pem"), os.path.join(d, name + "-k.pem")
    newkey = ["-newkey", "rsa:2048"] if kind == "rsa" else \
        ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    subprocess.run(["openssl", "req", "-x509"] + newkey + ["-nodes", "-subj", "/CN=localhost",
                    "-days", "1", "-keyout", key, "-out", cert], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def tls_handshakes(kind, client_cert=False):
    d = tempfile.mkdtemp(prefix="audit-bench-")
    cert, key = make_cert(d, "server", kind)
    tls, plain = ircharness.free_port(), ircharness.free_port()
    srv = ircharness.Server("[listen]\naddress = 127.0.0.1:%d\ntls = 127.0.0.1:%d\n"
                            "[tls]\ncertificate = %s\nkey = %s\n"
                            % (plain, tls, cert, key), port=plain)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if client_cert:
        ctx.load_cert_chain(*make_cert(d, "client", "ecdsa"))
    try:
        t0 = cpu_ms(srv.proc.pid)
        for _ in range(300):
            s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", tls)), server_hostname="x")
            s.close()
        time.sleep(0.3)
        return cpu_ms(srv.proc.pid) - t0, "300 TLS handshakes (%s%s)" % (
            kind, ", client certificate" if client_cert else "")
    finally:
        srv.stop()


SCENARIOS = {
    "who_long_realname": who_long_realname,
    "who_invisible": who_invisible,
    "connect_close_many_channels": connect_close_many_channels,
    "join_repeated_banned": join_repeated_banned,
    "tls_handshake_rsa": lambda: tls_handshakes("rsa"),
    "tls_handshake_ecdsa": lambda: tls_handshakes("ecdsa"),
    "tls_handshake_ecdsa_client_cert": lambda: tls_handshakes("ecdsa", client_cert=True),
}


def main():
    args = sys.argv[1:]
    if args and os.path.exists(args[0]):
        ircharness.BINARY = os.path.abspath(args.pop(0))
    for name in args or SCENARIOS:
        ms, what = SCENARIOS[name]()
        print("%-28s %9.0f ms server CPU   %s" % (name, ms, what))
        sys.stdout.flush()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""listbench - LIST on a network of many channels, and what it costs the
others (issue 12, "safelist"). A benchmark, not a test: it prints figures.

It starts the given ircmini on a loopback port with a generated config
(channel limits raised for its own clients), creates --channels channels
with --creators clients (each joins channels/creators of them), then runs
LIST, LIST >5 and LIST *foo* one after the other from one client that
reads as fast as it can, while another process PINGs the server without
pause and records each round trip. Printed: PING RTT p50/p99/max while idle
and during each LIST, how long each LIST took and how many 322 lines
arrived (or why the connection ended), and the server's RSS before, at
most during, and after.

    contrib/ircbench/listbench.py --binary src/ircmini [--channels 100000]
        [--creators 10] [--sendq BYTES] [--extra 'list_chunk = 500']

Only loopback; every phase is bounded by --timeout seconds.
"""
import argparse
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "e2e"))
from ircharness import free_port, rss_kib  # noqa: E402


class Conn:
    def __init__(self, port, nick):
        self.s = socket.create_connection(("127.0.0.1", port), 10)
        self.buf = b""
        self.send("NICK %s\r\nUSER %s 0 * :%s\r\n" % (nick, nick, nick))
        self.until(b" 376 ", b" 422 ")

    def send(self, text):
        self.s.sendall(text.encode())

    def until(self, *marks, timeout=60):
        """Read until a line holding one of marks; returns the bytes read
        (the buffer keeps what follows the mark's line)."""
        end = time.monotonic() + timeout
        got = []
        while True:
            for m in marks:
                i = self.buf.find(m)
                if i >= 0:
                    nl = self.buf.find(b"\n", i)
                    if nl >= 0:
                        got.append(self.buf[:nl + 1])
                        self.buf = self.buf[nl + 1:]
                        return b"".join(got)
            if len(self.buf) > 65536:   # keep only a tail to search
                got.append(self.buf[:-1024])
                self.buf = self.buf[-1024:]
            self.s.settimeout(max(0.01, end - time.monotonic()))
            d = self.s.recv(1 << 20)
            if not d:
                raise EOFError(b"".join(got) + self.buf)
            self.buf += d


def pinger(port, stop, out):
    """Its own process (no GIL shared with the reader): PING, wait for the
    PONG, record (send time, RTT), again, until stop is set."""
    c = Conn(port, "pinger")
    rows = []
    n = 0
    while not stop.is_set():
        n += 1
        t0 = time.monotonic()
        c.send("PING :p%d\r\n" % n)
        c.until(b"p%d\r\n" % n, timeout=120)
        rows.append((t0, time.monotonic() - t0))
        time.sleep(0.002)
    out.put(rows)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default="src/ircmini")
    ap.add_argument("--channels", type=int, default=100000)
    ap.add_argument("--creators", type=int, default=11)
    ap.add_argument("--sendq", type=int, default=0, help="[limits] sendq (0: the default)")
    ap.add_argument("--extra", action="append", default=[], help="more [limits] lines")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each LIST (figures over all)")
    ap.add_argument("--timeout", type=float, default=300)
    a = ap.parse_args()

    # a client joins at most 10,000 (max_channels): the 10 shared ones too
    a.creators = max(a.creators, -(-a.channels // 9990))
    per = -(-a.channels // a.creators)
    d = tempfile.mkdtemp(prefix="listbench-")
    port = free_port()
    conf = os.path.join(d, "ircmini.ini")
    limits = ["max_channels = %d" % min(10000, per + 10), "join_rate = 0", "channel_rate = 0",
              "flood_burst = 0", "max_per_ip = 0", "throttle_connects = 0",
              "ping_interval = 600", "ping_timeout = 600"]
    if a.sendq:
        limits.append("sendq = %d" % a.sendq)
    limits += a.extra
    with open(conf, "w") as f:
        f.write("[server]\nname = bench.test\nlog_level = warn\nstate_directory = %s\n"
                "[listen]\naddress = 127.0.0.1:%d\n[limits]\n%s\n[cloak]\nenabled = no\n"
                % (d, port, "\n".join(limits)))
    srv = subprocess.Popen([a.binary, "-c", conf], stderr=open(os.path.join(d, "stderr"), "w"))
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                time.sleep(0.05)
        rss0 = rss_kib(srv.pid)
        t0 = time.monotonic()
        # creators: names #lb-NNNNNN, every 100th #foo-NNNNNN; all join #big0..#big9
        for k in range(a.creators):
            c = Conn(port, "mk%d" % k)
            names = ["#big%d" % j for j in range(10)]
            for i in range(k * per, min(a.channels, (k + 1) * per)):
                names.append(("#foo-%06d" if i % 100 == 0 else "#lb-%06d") % i)
            for i in range(0, len(names), 40 * 20):
                block = names[i:i + 800]
                c.send("".join("JOIN %s\r\n" % ",".join(block[j:j + 40]) for j in range(0, len(block), 40)))
                c.send("PING :mk%d\r\n" % i)
                c.until(b"mk%d\r\n" % i, timeout=a.timeout)
            c.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # idle from now on
            globals().setdefault("keep", []).append(c)
        made = time.monotonic() - t0
        rss_made = rss_kib(srv.pid)
        print("created %d channels with %d clients in %.1f s; RSS %d KiB empty, %d KiB with them"
              % (a.channels, a.creators, made, rss0, rss_made))

        stop = multiprocessing.Event()
        q = multiprocessing.Queue()
        pp = multiprocessing.Process(target=pinger, args=(port, stop, q))
        pp.start()
        rss_max = [0]
        sampling = [True]

        def sample():
            while sampling[0]:
                rss_max[0] = max(rss_max[0], rss_kib(srv.pid))
                time.sleep(0.02)
        time.sleep(1.0)
        idle = (time.monotonic() - 1.0, time.monotonic())
        rss_before = rss_kib(srv.pid)
        th = threading.Thread(target=sample)
        th.start()
        lister = Conn(port, "lister")
        phases = []
        for arg in [x for x in ("", ">5", "*foo*") for _ in range(a.repeat)]:
            lister.send("LIST %s\r\n" % arg)
            s = time.monotonic()
            try:
                data = lister.until(b" 323 ", timeout=a.timeout)
                n, how = data.count(b" 322 "), "323"
                if data.count(b" 321 ") != 1:   # each reply read whole, and only it
                    how = "%d x 321" % data.count(b" 321 ")
            except (EOFError, OSError) as e:
                n = e.args[0].count(b" 322 ") if isinstance(e, EOFError) else 0
                how = "cut off after %d" % n
                lister = Conn(port, "lister%d" % len(phases))
            phases.append((arg or "(all)", s, time.monotonic(), n, how))
            time.sleep(0.3)
        sampling[0] = False
        th.join()
        time.sleep(1.0)
        rss_after = rss_kib(srv.pid)
        stop.set()
        rows = q.get(timeout=60)
        pp.join()

        def window(lo, hi):
            """every round trip that overlapped [lo, hi]: one that waited
            through a stall counts, wherever it started"""
            return [r for t, r in rows if t <= hi and t + r >= lo]
        iw = window(*idle) or [float("nan")]
        print("PING RTT idle: n=%d p50 %.2f ms, p99 %.2f ms, max %.2f ms"
              % (len(iw), pct(iw, .5) * 1e3, pct(iw, .99) * 1e3, max(iw) * 1e3))
        for arg in dict.fromkeys(p[0] for p in phases):
            runs = [p for p in phases if p[0] == arg]
            w = [r for p in runs for r in window(p[1], p[2])] or [float("nan")]
            print("LIST %-6s x%d: %s s, 322s %s; PING RTT during: n=%d p50 %.2f ms, p99 %.2f ms, max %.2f ms"
                  % (arg, len(runs), "/".join("%.3f" % (p[2] - p[1]) for p in runs),
                     "/".join(str(p[3]) if p[4] == "323" else p[4] for p in runs),
                     len(w), pct(w, .5) * 1e3, pct(w, .99) * 1e3, max(w) * 1e3))
        print("RSS KiB: before LIST %d, max during %d, after %d" % (rss_before, rss_max[0], rss_after))
    finally:
        srv.terminate()
        srv.wait(timeout=30)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Replay the fuzzing regression inputs in tests/fuzz-regress/ (crashers
found by contrib/fuzz, and hand-made nasty inputs) to a real ircmini over
raw sockets. After each one the server must still be alive and answer
PING, what it sent must be well-formed IRC (CRLF lines of at most 512
bytes, no NUL, no lone CR or LF), and the sanitizers must stay quiet.

Two input formats, told apart by the file name:
  message-*  one line (no CRLF) sent by a registered client in a channel
             with a second client
  session-*  the fuzz_session script format (see contrib/fuzz/fuzz_session.c):
             chunks separated by 0xFF, each with a header byte
             (bits 0-1 client slot, bits 2-4 operation, bit 5 flag)
"""
import os
import socket
import struct
import time

from ircharness import Client, running, run_tests, TIMEOUT

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = os.path.join(HERE, "..", "fuzz-regress")
# what the session harness sets up: no flood control, small limits, an
# operator "o" with password "pw"
CONFIG = ("[limits]\nflood_burst = 0\nmax_bans = 3\nmax_channels = 4\nmax_members = 3\n"
          "whowas = 5\nsendq = 32768\n"
          "[operators]\no = $1$saltsalt$6SNdNaZLKst2LlSm7oPPL1\n")
NSLOTS = 4
CAP_ALL = (b"CAP LS 302\r\nCAP REQ :away-notify batch cap-notify echo-message "
           b"extended-join invite-notify labeled-response message-tags multi-prefix "
           b"server-time setname userhost-in-names\r\n")
BYTEWISE_MAX = 600


class Wire:
    """Raw bytes from the server, checked as they arrive: 512 bytes a line
    incl. CRLF, plus at most 8191 bytes of IRCv3 tags ("@...", space incl.)."""

    def __init__(self, name):
        self.name = name
        self.linelen = 0
        self.taglen = 0
        self.intags = False
        self.cr = False
        self.data = bytearray()

    def feed(self, chunk):
        self.data += chunk
        for b in chunk:
            ch = bytes([b])
            assert not (self.cr and ch != b"\n"), "%s: CR not followed by LF" % self.name
            assert ch != b"\0", "%s: NUL from the server" % self.name
            assert not (ch == b"\n" and not self.cr), "%s: bare LF from the server" % self.name
            if self.linelen == 0 and self.taglen == 0 and ch == b"@":
                self.intags = True
            if self.intags:
                self.taglen += 1
                assert self.taglen <= 8191, "%s: tags over 8191 bytes" % self.name
                self.intags = ch != b" "
            else:
                self.linelen += 1
                assert self.linelen <= 512, "%s: line over 512 bytes" % self.name
            self.cr = ch == b"\r"
            if ch == b"\n":
                self.linelen = self.taglen = 0
                self.intags = False


class Slot:
    def __init__(self, port, name):
        self.sock = socket.create_connection(("127.0.0.1", port), TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.wire = Wire(name)
        self.eof = False

    def send(self, data):
        if self.eof or not data:
            return
        try:
            self.sock.settimeout(TIMEOUT)
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            self.eof = True  # the server closed us (QUIT, KILL, ...)

    def drain(self, wait=0.0):
        deadline = time.time() + wait
        self.sock.settimeout(0)
        while not self.eof:
            try:
                data = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                left = deadline - time.time()
                if left <= 0:
                    return
                self.sock.settimeout(left)
                continue
            except socket.timeout:
                return
            except ConnectionResetError:
                data = b""
            finally:
                self.sock.settimeout(0)
            if not data:
                self.eof = True
                return
            self.wire.feed(data)

    def close(self, clean=True):
        if clean:
            self.drain()
        else:
            # RST instead of FIN: the TCP face of an abrupt disconnect
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def alive_check(self):
        """End any partial line, then PING: a PONG, or the server
        closing this client (the partial line may have been a QUIT)."""
        token = b"alive%d" % int(time.time() * 1e6)
        self.send(b"\r\nPING :" + token + b"\r\n")
        deadline = time.time() + TIMEOUT
        while not self.eof and time.time() < deadline:
            if b"PONG" in self.wire.data and token in self.wire.data:
                return
            self.drain(0.05)
        assert self.eof or token in self.wire.data, \
            "%s: no PONG; last bytes %r" % (self.wire.name, bytes(self.wire.data[-300:]))


def parse_session(data):
    """[(slot, op, flag, payload)] from the fuzz_session format."""
    steps = []
    for chunk in data.split(b"\xff"):
        if chunk:
            steps.append((chunk[0] & 3, (chunk[0] >> 2) & 7, chunk[0] & 0x20, chunk[1:]))
    return steps


def replay(srv, steps):
    slots = [None] * NSLOTS
    # The fuzzer runs the server loop between chunks. Here a control
    # connection's PING round trips do that: loopback delivers a send at
    # once, so after a PONG the server has read what was sent before it,
    # 8 KiB per connection and loop pass.
    ctl = Client(srv.port)

    def settle(nbytes):
        for _ in range(1 + nbytes // 8192 + 1):
            ctl.sync()

    def slot(i):
        if slots[i] is None:
            slots[i] = Slot(srv.port, "slot%d" % i)
        return slots[i]

    for i, op, flag, payload in steps:
        if op == 5:
            s = slot(i)
            for k in range(min(len(payload), BYTEWISE_MAX)):
                s.send(payload[k:k + 1])
                ctl.sync()  # one read per byte, as in the fuzzer
            s.send(payload[BYTEWISE_MAX:])
        elif op == 6:
            if slots[i] is not None:
                slots[i].close(clean=bool(flag))
                slots[i] = None
                settle(0)
            slot(i).send(payload)
        elif op == 7:
            reg = b"NICK f%d\r\nUSER u%d 0 * :fuzz %d\r\n" % (i, i, i)
            slot(i).send(CAP_ALL + reg + b"CAP END\r\n" if flag else reg)
            slot(i).send(payload)
        else:
            slot(i).send(payload)
        if op != 4:  # op 4 coalesces with the next chunk
            settle(len(payload))
        for s in slots:
            if s:
                s.drain()
    for s in slots:
        if s:
            s.alive_check()
    for s in slots:
        if s:
            s.close()
    ctl.close()


def replay_message(srv, line):
    """Two registered clients in #c; the first sends the line."""
    replay(srv, [(0, 7, 0, b"JOIN #c\r\n"), (1, 7, 0, b"JOIN #c\r\n"),
                 (0, 0, 0, line + b"\r\n")])


def check_alive(srv):
    c = srv.client("alive")
    c.sync()
    c.close()


def make_test(path):
    name = os.path.basename(path)

    def test():
        with open(path, "rb") as f:
            data = f.read()
        with running(CONFIG) as srv:
            if name.startswith("message-"):
                replay_message(srv, data)
            else:
                replay(srv, parse_session(data))
            check_alive(srv)
    return test


def collect():
    tests = {}
    for name in sorted(os.listdir(INPUTS)):
        if name.startswith(("message-", "session-")):
            key = "test_" + "".join(ch if ch.isalnum() else "_" for ch in name)
            tests[key] = make_test(os.path.join(INPUTS, name))
    assert tests, "no inputs in " + INPUTS
    return tests


if __name__ == "__main__":
    globals().update(collect())
    run_tests(globals())

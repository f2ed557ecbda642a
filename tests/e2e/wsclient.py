"""wsclient - a WebSocket client written for the tests (RFC 6455, raw
frames, standard library only), shaped like ircharness.Client so the same
expect()/register()/join() work over it. It can also send what a real
client never would: unmasked frames, reserved bits, odd opcodes, broken
UTF-8, fragments with pings in between."""
import base64
import hashlib
import os
import socket
import ssl
import struct

from ircharness import TIMEOUT, Client
from test_tls import TLSClient

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CONT, TEXT, BINARY, CLOSE, PING, PONG = 0, 1, 2, 8, 9, 10


def frame(opcode, payload=b"", fin=True, mask=True, rsv=0, length=None):
    """One client frame; `length` lies about the payload length."""
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    mbit = 0x80 if mask else 0
    if n < 126:
        head += bytes([mbit | n])
    elif n < 65536:
        head += bytes([mbit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([mbit | 127]) + struct.pack(">Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def request(port, proto="text.ircv3.net", origin=None, extra=(), key=None, method="GET",
            version="13"):
    key = key or base64.b64encode(os.urandom(16)).decode()
    lines = ["%s /irc HTTP/1.1" % method, "Host: 127.0.0.1:%d" % port, "Upgrade: websocket",
             "Connection: keep-alive, Upgrade", "Sec-WebSocket-Key: " + key,
             "Sec-WebSocket-Version: " + version]
    if proto:
        lines.append("Sec-WebSocket-Protocol: " + proto)
    if origin:
        lines.append("Origin: " + origin)
    lines.extend(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), key


def accept_for(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


class WSClient(Client):
    """IRC over a WebSocket: each send() is one text (or binary) message;
    each received data message becomes one line in self.lines. Control
    frames received are kept in self.controls as (opcode, payload)."""

    def __init__(self, port, proto="text.ircv3.net", origin=None, extra=(), tls=False,
                 raw_request=None):
        sock = socket.create_connection(("127.0.0.1", port), TIMEOUT)
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE   # the test's self-signed certificate
            sock = ctx.wrap_socket(sock, server_hostname="localhost")
        self.sock = sock
        self.tls = tls
        self.buf = b""
        self.lines = []
        self.log = []
        self.closed = False
        self.nick = None
        self.controls = []
        self.payloads = []       # raw payloads of the data frames received
        self.opcodes = set()     # opcodes of the data frames received
        self.close_code = None
        self.binary = proto is not None and proto.startswith("binary")
        req, key = request(port, proto, origin, extra)
        sock.settimeout(TIMEOUT)
        sock.sendall(raw_request or req)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
        head, _, self.buf = head.partition(b"\r\n\r\n")
        self.status_line, *hdrs = head.decode("latin-1").split("\r\n")
        self.status = int(self.status_line.split()[1]) if self.status_line else 0
        self.headers = {}
        for h in hdrs:
            k, _, v = h.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        if self.status == 101:
            assert self.headers.get("sec-websocket-accept") == accept_for(key), self.headers
        self.body = self.buf if self.status != 101 else b""
        sock.setblocking(False)
        if self.status == 101 and self.buf:
            self._parse()

    def _readable(self, timeout):
        if self.tls and self.sock.pending() > 0:
            return True
        return Client._readable(self, timeout)

    _recv = TLSClient._recv   # fine for a plain socket too

    def _parse(self):
        while len(self.buf) >= 2:
            b0, b1 = self.buf[0], self.buf[1]
            assert not b1 & 0x80, "the server masked a frame"
            n, off = b1 & 0x7f, 2
            if n == 126:
                if len(self.buf) < 4:
                    return
                n, off = struct.unpack(">H", self.buf[2:4])[0], 4
            elif n == 127:
                if len(self.buf) < 10:
                    return
                n, off = struct.unpack(">Q", self.buf[2:10])[0], 10
            if len(self.buf) < off + n:
                return
            payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
            op = b0 & 0x0f
            assert b0 & 0x80, "the server fragmented a message"
            if op in (TEXT, BINARY):
                self.opcodes.add(op)
                assert b"\r" not in payload and b"\n" not in payload, payload
                if op == TEXT:
                    text = payload.decode("utf-8")   # must be valid UTF-8
                else:
                    text = payload.decode("utf-8", "replace")
                self.payloads.append(payload)
                self.lines.append(text)
                self.log.append(text)
            else:
                self.controls.append((op, payload))
                if op == CLOSE:
                    self.close_code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005

    _take = _parse   # frames, not CRLF lines

    def sendraw(self, data):
        self.sock.setblocking(True)
        self.sock.sendall(data)
        self.sock.setblocking(False)

    def send(self, line):
        data = line.encode() if isinstance(line, str) else line
        self.sendraw(frame(BINARY if self.binary else TEXT, data))

    def wait_close_frame(self, timeout=TIMEOUT):
        """The close code the server sent, once the connection is closed."""
        self.wait_closed(timeout)
        return self.close_code

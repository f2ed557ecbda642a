#!/usr/bin/env python3
"""End-to-end tests of the WebSocket listener (issue 13): a WebSocket
client written here with raw frames (wsclient.py) and a TCP client in one
channel; fragments with pings in between; every kind of bad frame and bad
handshake closed with the right status and a log line; origins,
X-Forwarded-For from trusted proxies, the TCP limits, and wss://."""
import os
import re
import socket
import struct
import sys
import time

from ircharness import TIMEOUT, WRAPPER, free_port, read_until_closed, running, run_tests
from wsclient import BINARY, CLOSE, CONT, PING, PONG, TEXT, WSClient, frame, request

SLOW = 6 if WRAPPER else 1


class ws_server(running):
    """running() with a plain IRC listener and a WebSocket one."""

    def __init__(self, extra="", origins="*", tls=None):
        self.ws_port = free_port()
        self.wss_port = free_port() if tls else None
        plain = free_port()
        conf = ("[server]\nname = irc.test\nnetwork = TestNet\n"
                "[listen]\naddress = 127.0.0.1:%d\nwebsocket = 127.0.0.1:%d\n" % (plain, self.ws_port))
        if tls:
            conf += "websocket_tls = 127.0.0.1:%d\n[tls]\ncertificate = %s\nkey = %s\n" % (
                self.wss_port, tls[0], tls[1])
        if origins is not None:
            conf += "[websocket]\norigins = %s\n" % origins
        running.__init__(self, conf + extra, port=plain)

    def __enter__(self):
        s = running.__enter__(self)
        s.ws_port, s.wss_port = self.ws_port, self.wss_port
        return s


def ws(srv, nick=None, **kw):
    c = WSClient(srv.ws_port, **kw)
    assert c.status == 101, (c.status_line, c.body)
    if nick:
        c.register(nick)
    return c


def wait_log(srv, text, timeout=TIMEOUT):
    deadline = time.time() + timeout * SLOW
    while text not in srv.stderr():
        assert time.time() < deadline, "no %r in the log:\n%s" % (text, srv.stderr()[-2000:])
        time.sleep(0.05)


def test_websocket_client_chats_with_tcp_client():
    with ws_server() as srv:
        w = ws(srv, "webby")
        assert w.headers.get("sec-websocket-protocol") == "text.ircv3.net", w.headers
        w.join("#mix")
        t = srv.client("tcp").join("#mix")
        w.expect(r"^:tcp!tcp@127.0.0.1 JOIN #mix$")
        w.send("PRIVMSG #mix :hello from the browser")
        t.expect(r"^:webby!webby@127.0.0.1 PRIVMSG #mix :hello from the browser$")
        t.send("PRIVMSG #mix :hello from tcp, caf\xe9")
        w.expect(r"^:tcp!tcp@127.0.0.1 PRIVMSG #mix :hello from tcp, caf\xe9$")
        t.send("PRIVMSG webby :private")
        w.expect(r"PRIVMSG webby :private$")
        assert w.opcodes == {TEXT}, w.opcodes
        t.send("WHOIS webby")
        lines = t.collect_until(r" 318 ")
        assert any(" 311 tcp webby webby 127.0.0.1 " in l for l in lines), lines
        w.send("QUIT :bye")
        w.expect(r"^ERROR :Closing Link")
        assert w.wait_close_frame() == 1000, w.controls
        t.expect(r"^:webby!webby@127.0.0.1 QUIT :Quit: bye$")


def test_fragments_with_pings_in_between():
    with ws_server() as srv:
        w = ws(srv, "frag").join("#f")
        t = srv.client("tcp").join("#f")
        w.drain(0.1)
        parts = [b"PRIVMSG #f :one ", b"message in ", b"three fragments"]
        w.sendraw(frame(TEXT, parts[0], fin=False))
        w.sendraw(frame(PING, b"between"))
        w.sendraw(frame(CONT, parts[1], fin=False))
        w.sendraw(frame(PONG, b"unsolicited"))   # ignored, as RFC 6455 allows
        w.sendraw(frame(CONT, parts[2], fin=True))
        t.expect(r"^:frag!frag@127.0.0.1 PRIVMSG #f :one message in three fragments$")
        w.sync()
        assert (PONG, b"between") in w.controls, w.controls
        # a multi-byte character split across two fragments is fine
        word = "\u00e9t\u00e9".encode()
        w.sendraw(frame(TEXT, b"PRIVMSG #f :" + word[:1], fin=False) +
                  frame(CONT, word[1:], fin=True))
        t.expect(r"PRIVMSG #f :\u00e9t\u00e9$")
        # many messages in one write, each masked with its own key; a
        # trailing CRLF (against the spec, but sent by some) is tolerated
        w.sendraw(b"".join(frame(TEXT, "PRIVMSG #f :n%d" % i) for i in range(20)) +
                  frame(TEXT, "PRIVMSG #f :crlf\r\n"))
        for i in range(20):
            t.expect(r"PRIVMSG #f :n%d$" % i)
        t.expect(r"PRIVMSG #f :crlf$")
        # one byte per write: the decoder keeps state across reads
        for b in frame(TEXT, "PRIVMSG #f :slowly"):
            w.sendraw(bytes([b]))
        t.expect(r"PRIVMSG #f :slowly$")


def test_binary_subprotocol_and_no_subprotocol():
    with ws_server() as srv:
        b = ws(srv, proto="binary.ircv3.net, text.ircv3.net")
        assert b.headers.get("sec-websocket-protocol") == "binary.ircv3.net", b.headers
        b.register("bin")
        b.join("#enc")
        # the client's order of preference counts
        pref = ws(srv, proto="foo, text.ircv3.net, binary.ircv3.net")
        assert pref.headers.get("sec-websocket-protocol") == "text.ircv3.net", pref.headers
        n = ws(srv, proto=None)
        assert "sec-websocket-protocol" not in n.headers, n.headers
        n.register("nosub")
        n.join("#enc")
        t = srv.client("latin").join("#enc")
        b.drain(0.1)
        n.drain(0.1)
        t.sendraw(b"PRIVMSG #enc :caf\xe9\r\n")   # Latin-1: not UTF-8
        b.expect(r"PRIVMSG #enc :caf")
        assert b.payloads[-1].endswith(b"caf\xe9"), b.payloads[-1]
        assert b.opcodes == {BINARY}, b.opcodes
        # a text frame carries U+FFFD instead (never invalid UTF-8)
        n.expect(r"PRIVMSG #enc :caf\ufffd$")
        assert n.opcodes == {TEXT}, n.opcodes
        # binary messages in from a binary client reach TCP byte for byte
        b.sendraw(frame(BINARY, b"PRIVMSG #enc :bin\xff"))
        t.expect(r"PRIVMSG #enc :bin")
        # a text client may send binary frames too (no UTF-8 rule for them)
        n.sendraw(frame(BINARY, b"PRIVMSG #enc :raw\xfe"))
        t.expect(r"PRIVMSG #enc :raw")


def bad_frame(srv, data, code, log):
    w = ws(srv, "victim")
    w.sendraw(data)
    got = w.wait_close_frame()
    assert got == code, "expected close %d, got %s (%s)" % (code, got, w.controls)
    assert w.closed, "connection not closed after the close frame"
    wait_log(srv, log)
    return w


def test_bad_frames_get_close_codes():
    with ws_server() as srv:
        t = srv.client("watcher")
        bad_frame(srv, frame(TEXT, "PRIVMSG watcher :x", mask=False), 1002, "unmasked client frame")
        bad_frame(srv, frame(3, "what"), 1002, "unknown opcode")
        bad_frame(srv, frame(0xB, ""), 1002, "unknown opcode")
        bad_frame(srv, frame(TEXT, "x", rsv=4), 1002, "reserved bits")
        bad_frame(srv, frame(TEXT, b"PRIVMSG watcher :\xc3\x28"), 1007, "invalid UTF-8")
        bad_frame(srv, frame(TEXT, b"PRIVMSG watcher :\xed\xa0\x80"), 1007, "invalid UTF-8")  # surrogate
        bad_frame(srv, frame(TEXT, b"PRIVMSG watcher :\xe2\x82", fin=False) + frame(CONT, b"", fin=True),
                  1007, "truncated sequence")
        bad_frame(srv, frame(TEXT, "x" * 9000), 1009, "longer than an IRC line")
        # the length alone decides: no need to send 2^40 bytes
        bad_frame(srv, frame(TEXT, b"", length=1 << 40), 1009, "longer than an IRC line")
        # fragments add up to too much
        bad_frame(srv, frame(TEXT, "y" * 5000, fin=False) + frame(CONT, "y" * 5000),
                  1009, "longer than an IRC line")
        bad_frame(srv, frame(CONT, "z"), 1002, "continuation frame without a message")
        bad_frame(srv, frame(TEXT, "a", fin=False) + frame(TEXT, "b"), 1002, "new message inside")
        bad_frame(srv, frame(PING, "p" * 126), 1002, "control frame longer than 125")
        bad_frame(srv, frame(PING, "p", fin=False), 1002, "fragmented control frame")
        bad_frame(srv, frame(TEXT, "PRIVMSG watcher :a\r\nQUIT"), 1002, "line break inside a message")
        bad_frame(srv, frame(CLOSE, struct.pack(">H", 1005)), 1002, "invalid close status code")
        # none of it reached the TCP client, and the server still works
        t.quiet("PRIVMSG", 0.2)
        w = ws(srv, "survivor")
        w.send("PRIVMSG watcher :still here")
        t.expect(r"PRIVMSG watcher :still here$")


def test_client_close_is_echoed():
    with ws_server() as srv:
        t = srv.client("tcp").join("#c")
        w = ws(srv, "closer").join("#c")
        w.sendraw(frame(CLOSE, struct.pack(">H", 1000) + b"done"))
        assert w.wait_close_frame() == 1000, w.controls
        t.expect(r"^:closer!closer@127.0.0.1 QUIT :Connection closed$")
        w2 = ws(srv, "closer2").join("#c")
        w2.sendraw(frame(CLOSE, struct.pack(">H", 4000)))
        assert w2.wait_close_frame() == 4000, w2.controls
        t.expect(r"^:closer2!\S+ QUIT :WebSocket closed by client with status 4000$")
        w3 = ws(srv, "closer3")
        w3.sendraw(frame(CLOSE))   # no status: answered with 1000
        assert w3.wait_close_frame() == 1000, w3.controls


def handshake(port, req):
    s = socket.create_connection(("127.0.0.1", port), TIMEOUT)
    s.sendall(req)
    data = read_until_closed(s, TIMEOUT * SLOW)
    s.close()
    return data.decode("latin-1")


def test_bad_handshakes_are_refused():
    with ws_server(origins="https://chat.example") as srv:
        p = srv.ws_port
        cases = [
            (request(p, method="POST")[0], 405, "method is not GET"),
            (request(p, version="8")[0], 426, "Sec-WebSocket-Version is not 13"),
            (request(p, key="short")[0], 400, "Sec-WebSocket-Key"),
            (request(p, origin="https://evil.example")[0], 403, "origin not allowed"),
            (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "Upgrade: websocket"),
            (b"GET / HTTP/1.0\r\nHost: x\r\n\r\n", 400, "HTTP/1.1"),
            (b"NICK irc\r\nUSER irc 0 * :irc\r\n", 400, "not an HTTP request"),
            (b"GET / HTTP/1.1\r\n" + b"X-Pad: " + b"a" * 9000 + b"\r\n\r\n", 431, "too long"),
        ]
        for req, status, why in cases:
            reply = handshake(p, req)
            assert reply.startswith("HTTP/1.1 %d " % status), (why, reply[:200])
            assert why in reply, (why, reply)
            wait_log(srv, "handshake refused with HTTP %d" % status)
        assert "Sec-WebSocket-Version: 13" in handshake(p, request(p, version="8")[0])
        assert "(Origin: https://evil.example)" in srv.stderr()
        # the listed origin, any case of scheme and host, and no Origin
        # at all (not a browser) are let in
        for origin in ("https://chat.example", "HTTPS://Chat.Example", None):
            w = ws(srv, origin=origin)
            w.send("PING :o")
            w.expect(r"PONG .* :o$")
        srv.client("alive").send("PING z")


def test_origin_default_refuses_browsers():
    # no [websocket] origins: a page of any site is refused, tools are not
    with ws_server(origins=None) as srv:
        assert handshake(srv.ws_port, request(srv.ws_port, origin="https://x.example")[0]) \
            .startswith("HTTP/1.1 403 ")
        ws(srv, "tool")


def test_x_forwarded_for_only_from_trusted_proxies():
    with ws_server("[limits]\nmax_per_ip = 1\n[websocket]\ntrusted_proxies = 127.0.0.1 10.0.0.0/8\n") as srv:
        t = srv.client()
        t.sock.close()
        t = type(t)(srv.port, source="127.0.0.2").register("tcp")
        # the proxy at 127.0.0.1 brings many clients, each its own address
        a = ws(srv, extra=["X-Forwarded-For: 198.51.100.9, 203.0.113.7"])
        a.register("proxied")
        t.send("WHOIS proxied")
        lines = t.collect_until(r" 318 ")
        assert any(" 311 tcp proxied proxied 203.0.113.7 " in l for l in lines), lines
        # a chain: entries of trusted proxies are skipped from the right
        b = ws(srv, extra=["X-Forwarded-For: 192.0.2.1, 10.1.2.3"])
        b.register("chained")
        t.send("WHOIS chained")
        assert any(" 192.0.2.1 " in l for l in t.collect_until(r" 318 "))
        # the clone limit applies to the forwarded address
        c = ws(srv, extra=["X-Forwarded-For: 203.0.113.7"])
        c.expect(r"^ERROR :Closing Link: 203.0.113.7 \(Too many connections from your host\)")
        assert c.wait_close_frame() == 1000
        # garbage is not an address: the proxy's own address stays
        d = ws(srv, extra=["X-Forwarded-For: not-an-ip"])
        d.register("garbage")
        t.send("WHOIS garbage")
        assert any(" 311 tcp garbage garbage 127.0.0.1 " in l for l in t.collect_until(r" 318 "))
        wait_log(srv, "unusable X-Forwarded-For")
    with ws_server() as srv:   # not trusted: the header is ignored
        t = srv.client("tcp")
        a = ws(srv, extra=["X-Forwarded-For: 203.0.113.7"])
        a.register("direct")
        t.send("WHOIS direct")
        assert any(" 311 tcp direct direct 127.0.0.1 " in l for l in t.collect_until(r" 318 "))


def test_tcp_limits_apply():
    extra = "[limits]\nregistration_timeout = 1\nflood_burst = 5\nflood_rate = 2\n"
    with ws_server(extra) as srv:
        # the registration timeout covers an unfinished handshake and an
        # upgraded connection that never registers
        s = socket.create_connection(("127.0.0.1", srv.ws_port), TIMEOUT)
        s.sendall(b"GET / HTTP/1.1\r\n")
        w = ws(srv)
        assert w.wait_close_frame(4 * SLOW) == 1000, w.controls
        assert any("Registration timeout" in l for l in w.log), w.log
        s.settimeout(4 * SLOW)
        assert s.recv(100) == b""
        # an overlong untagged line gets 417, as over TCP
        w = ws(srv, "longline")
        w.send("PRIVMSG longline :" + "x" * 600)
        w.expect(r" 417 ")
        # flood control: lines beyond the burst are held back, then run
        t = srv.client("target")
        w.send("PING :s")
        w.expect("PONG")
        w.sendraw(b"".join(frame(TEXT, "PRIVMSG target :f%d" % i) for i in range(12)))
        t.expect(r"PRIVMSG target :f4$")
        t.quiet(r":f11$", 0.3)   # 7 more lines at 2 a second: not yet
        t.expect(r"PRIVMSG target :f11$", 15)


def test_wss_with_the_tls_certificate():
    from test_tls import make_cert
    cert = make_cert("ws")
    with ws_server(tls=cert) as srv:
        w = WSClient(srv.wss_port, tls=True)
        assert w.status == 101, w.status_line
        w.register("secure")
        w.join("#tls")
        t = srv.client("tcp").join("#tls")
        w.send("PRIVMSG #tls :" + "s" * 400)
        t.expect(r"PRIVMSG #tls :s{400}$")
        t.send("WHOIS secure")
        assert any(" 671 " in l for l in t.collect_until(r" 318 "))
        # many lines at once through TLS records
        t.sendraw(b"".join(b"PRIVMSG #tls :%d\r\n" % i for i in range(30)))
        for i in range(30):
            w.expect(r"PRIVMSG #tls :%d$" % i)


def test_reload_adds_the_listener_and_changes_origins():
    # SIGHUP binds a new websocket address and the origins apply to the
    # next handshake; users connected meanwhile stay
    with ws_server() as srv:
        from test_reload import reload
        base = open(srv.conf).read().split("[listen]")[0]
        plain = srv.port
        ws_port = free_port()

        def conf(origins):
            return (base + "[listen]\naddress = 127.0.0.1:%d\nwebsocket = 127.0.0.1:%d\n"
                    "[websocket]\norigins = %s\n[cloak]\nenabled = no\n"
                    "[limits]\nexempt = 127.0.0.0/8\n" % (plain, ws_port, origins))
        reload(srv, conf("https://one.example"))
        w = WSClient(ws_port, origin="https://one.example")
        assert w.status == 101, w.status_line
        w.register("reloaded")
        assert WSClient(ws_port, origin="https://two.example").status == 403
        reload(srv, conf("https://two.example"))
        assert WSClient(ws_port, origin="https://one.example").status == 403
        assert WSClient(ws_port, origin="https://two.example").status == 101
        w.send("PING :still")
        w.expect(r"PONG .* :still$")


if __name__ == "__main__":
    run_tests(globals())

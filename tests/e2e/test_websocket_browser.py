#!/usr/bin/env python3
"""A real browser on the WebSocket listener (issue 13): headless Chromium
opens tests/web/irc.html, served by a small HTTP server of this test on
loopback under the name chat.ircmini.test (--host-resolver-rules maps it
to 127.0.0.1: a file:// page would send "Origin: null"). The page connects
with new WebSocket(url, "text.ircv3.net"), registers, joins a channel and
exchanges messages with a TCP client; the test reads the page's result and
saves a screenshot through the DevTools protocol (spoken over the test's
own WebSocket code), for ws:// and for wss:// with the test's self-signed
certificate. A page of another origin must be refused.

Exits 77 (skip) without chromium. Under valgrind it runs too, with longer
waits (the browser, not the server, is the slow part)."""
import base64
import functools
import http.server
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from ircharness import TIMEOUT, WRAPPER, free_port, running, run_tests
from wsclient import TEXT, frame, request

HERE = os.path.dirname(os.path.abspath(__file__))
WEB = os.path.join(HERE, "..", "web")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOST = "chat.ircmini.test"
# Chromium starts slowly on a loaded machine (12 s seen on 2 busy cores)
BROWSER_WAIT = 90 * (2 if WRAPPER else 1)
OUT = os.path.join(os.environ.get("abs_top_builddir", os.path.join(HERE, "..", "..")),
                   "tests", "e2e", "out-browser")


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def http_server():
    handler = functools.partial(Quiet, directory=WEB)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


class DevTools:
    """Just enough of the Chrome DevTools protocol: JSON messages in
    WebSocket text frames (masked, as a client must)."""

    def __init__(self, ws_url):
        hostport, path = ws_url[len("ws://"):].split("/", 1)
        host, port = hostport.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), BROWSER_WAIT)
        req, _ = request(int(port), proto=None)
        req = req.replace(b"GET /irc ", b"GET /" + path.encode() + b" ", 1)
        self.sock.sendall(req)
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            assert chunk, "DevTools closed the connection"
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        self.next_id = 0

    def _frame(self):
        while True:
            if len(self.buf) >= 2:
                n, off = self.buf[1] & 0x7f, 2
                if n == 126 and len(self.buf) >= 4:
                    n, off = struct.unpack(">H", self.buf[2:4])[0], 4
                elif n == 127 and len(self.buf) >= 10:
                    n, off = struct.unpack(">Q", self.buf[2:10])[0], 10
                if n < 126 or off > 2:
                    if len(self.buf) >= off + n:
                        op, payload = self.buf[0] & 0x0f, self.buf[off:off + n]
                        self.buf = self.buf[off + n:]
                        return op, payload
            chunk = self.sock.recv(1 << 20)
            assert chunk, "DevTools closed the connection"
            self.buf += chunk

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.sock.sendall(frame(TEXT, json.dumps({"id": mid, "method": method, "params": params})))
        while True:
            op, payload = self._frame()
            if op != TEXT:
                continue
            msg = json.loads(payload)
            if msg.get("id") == mid:
                assert "error" not in msg, msg
                return msg.get("result", {})

    def close(self):
        self.sock.close()


class Browser:
    def __init__(self, extra_flags):
        self.dir = tempfile.mkdtemp(prefix="ircmini-chromium-")
        self.log = open(os.path.join(self.dir, "chromium.log"), "w")
        flags = ["--headless=new", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                 "--disable-extensions", "--disable-background-networking", "--disable-sync",
                 "--disable-component-update", "--disable-default-apps", "--mute-audio",
                 "--window-size=900,600", "--user-data-dir=" + self.dir,
                 "--remote-debugging-port=0",
                 "--host-resolver-rules=MAP %s 127.0.0.1, MAP evil.ircmini.test 127.0.0.1" % HOST]
        if os.geteuid() == 0:
            flags.append("--no-sandbox")   # Chromium refuses to run as root with it
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS="disabled:")
        self.proc = subprocess.Popen([CHROMIUM] + flags + extra_flags + ["about:blank"],
                                     stdout=self.log, stderr=self.log, env=env,
                                     start_new_session=True)
        port_file = os.path.join(self.dir, "DevToolsActivePort")
        deadline = time.time() + BROWSER_WAIT
        while not (os.path.exists(port_file) and open(port_file).read().count("\n") >= 1):
            assert self.proc.poll() is None, "chromium exited:\n" + self.logtext()
            assert time.time() < deadline, "chromium did not start:\n" + self.logtext()
            time.sleep(0.1)
        port = int(open(port_file).read().split("\n")[0])
        targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port,
                                                   timeout=BROWSER_WAIT))
        page = [t for t in targets if t.get("type") == "page"][0]
        self.devtools = DevTools(page["webSocketDebuggerUrl"])

    def logtext(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()[-3000:]

    def open(self, url):
        self.devtools.call("Page.navigate", url=url)

    def result(self):
        """The page's result once it is no longer "running"."""
        expr = "document.getElementById('result') ? document.getElementById('result').textContent : ''"
        deadline = time.time() + BROWSER_WAIT
        while True:
            r = self.devtools.call("Runtime.evaluate", expression=expr, returnByValue=True)
            value = r.get("result", {}).get("value", "")
            if value and value != "running":
                return value
            assert time.time() < deadline, "the page never finished (%r)" % value
            time.sleep(0.1)

    def log_text(self):
        r = self.devtools.call("Runtime.evaluate", expression="document.getElementById('log').textContent",
                               returnByValue=True)
        return r.get("result", {}).get("value", "")

    def screenshot(self, name):
        data = self.devtools.call("Page.captureScreenshot", format="png")["data"]
        os.makedirs(OUT, exist_ok=True)
        path = os.path.join(OUT, name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def close(self):
        try:
            self.devtools.close()
        except Exception:
            pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)   # our own session: chromium's helpers too
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def chat(browser, srv, web, url, nick, tcp, shot):
    page = "http://%s:%d/irc.html?url=%s&nick=%s&chan=%%23web&peer=%s" % (
        HOST, web.server_address[1], url, nick, tcp.nick)
    browser.open(page)
    tcp.expect(r"^:%s!\S+@127.0.0.1 PRIVMSG #web :hello from chromium \u00e9$" % nick,
               BROWSER_WAIT)
    tcp.send("PRIVMSG #web :hello browser \u2603")
    result = browser.result()
    path = browser.screenshot(shot)
    assert result == "PASS", "page says %r; its log:\n%s" % (result, browser.log_text())
    tcp.expect(r"^:%s!\S+ QUIT :Quit: done$" % nick)
    assert os.path.getsize(path) > 1000, path
    print("screenshot: %s" % os.path.abspath(path))


def test_chromium_chats_over_ws_and_wss():
    from test_tls import make_cert
    cert, key = make_cert("browser", cn=HOST)
    web = http_server()
    origin = "http://%s:%d" % (HOST, web.server_address[1])
    ws_port, wss_port, plain = free_port(), free_port(), free_port()
    conf = ("[server]\nname = irc.test\nnetwork = TestNet\n"
            "[listen]\naddress = 127.0.0.1:%d\nwebsocket = 127.0.0.1:%d\nwebsocket_tls = 127.0.0.1:%d\n"
            "[tls]\ncertificate = %s\nkey = %s\n"
            "[websocket]\norigins = %s\n" % (plain, ws_port, wss_port, cert, key, origin))
    browser = None
    try:
        with running(conf, port=plain) as srv:
            tcp = srv.client("tcp").join("#web")
            # the test's own certificate, accepted in this browser only
            browser = Browser(["--ignore-certificate-errors"])
            chat(browser, srv, web, "ws://%s:%d/" % (HOST, ws_port), "chromium", tcp, "websocket-ws.png")
            chat(browser, srv, web, "wss://%s:%d/" % (HOST, wss_port), "chromiumtls", tcp,
                 "websocket-wss.png")
            log = srv.stderr()
            assert log.count("upgraded (text.ircv3.net)") == 2, log
            # the same page from another site may not use the visitor's browser
            browser.open("http://evil.ircmini.test:%d/irc.html?url=ws://%s:%d/&nick=evil&chan=%%23web&peer=tcp"
                         % (web.server_address[1], HOST, ws_port))
            result = browser.result()
            browser.screenshot("websocket-refused-origin.png")
            assert result.startswith("FAIL"), result
            assert "(Origin: http://evil.ircmini.test:%d)" % web.server_address[1] in srv.stderr()
            tcp.quiet(r"evil", 0.2)
    finally:
        if browser:
            browser.close()
        web.shutdown()


if __name__ == "__main__":
    if not CHROMIUM:
        print("SKIP: chromium not installed (Debian package chromium)")
        sys.exit(77)
    run_tests(globals())

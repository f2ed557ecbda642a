#!/usr/bin/env python3
"""Socket activation (LISTEN_FDS) through systemd-socket-activate: the passed
socket replaces [listen], also across a reload. Its own file so that automake
counts a SKIP (exit 77) when the tool (Debian package systemd) is missing."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from ircharness import BINARY, TIMEOUT, WRAPPER, Client, free_port, run_tests
from test_reload import SLOW, config, refused, still_there


def test_socket_activation_replaces_listen():
    tool = shutil.which("systemd-socket-activate")
    d = tempfile.mkdtemp(prefix="ircmini-test-")
    conf_port, sock_port = free_port(), free_port()
    conf = os.path.join(d, "ircmini.ini")
    with open(conf, "w") as f:
        f.write(config(conf_port))
    log = open(os.path.join(d, "stderr.log"), "w+")
    # the tool binds sock_port, then execs ircmini (same pid) on the first connection
    cmd = WRAPPER + [BINARY, "-c", conf]
    proc = subprocess.Popen([tool, "-l", "127.0.0.1:%d" % sock_port] + cmd, stdout=log, stderr=log)

    def text():
        log.flush()
        with open(log.name) as f:
            return f.read()
    try:
        deadline = time.time() + TIMEOUT * SLOW
        while True:
            try:
                alice = Client(sock_port)
                break
            except ConnectionRefusedError:
                assert proc.poll() is None and time.time() < deadline, text()
                time.sleep(0.02)
        alice.register("alice").join("#sa")
        out = text()
        assert "listening on 127.0.0.1:%d" % sock_port in out, out
        assert "[listen] is ignored" in out, out
        assert refused(conf_port), out

        # a reload keeps ignoring [listen] and keeps the passed socket
        before = out.count("configuration reloaded")
        proc.send_signal(signal.SIGHUP)
        deadline = time.time() + TIMEOUT * SLOW
        while text().count("configuration reloaded") == before:
            assert proc.poll() is None and time.time() < deadline, text()
            time.sleep(0.02)
        assert refused(conf_port), text()
        bob = Client(sock_port).register("bob").join("#sa")
        alice.expect(r":bob!\S+ JOIN #sa")
        still_there(alice, "#sa", bob)
    finally:
        if proc.poll() is None:
            proc.terminate()
        rc = proc.wait(TIMEOUT * SLOW)
        out = text()
        shutil.rmtree(d)
    assert rc == 0, (rc, out)
    assert "AddressSanitizer" not in out and "runtime error" not in out, out


if __name__ == "__main__":
    if not shutil.which("systemd-socket-activate"):
        print("SKIP: no systemd-socket-activate (Debian package systemd)")
        sys.exit(77)
    run_tests(globals())

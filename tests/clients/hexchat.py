#!/usr/bin/env python3
"""HexChat under Xvfb against a freshly started server; see README.md here.

HexChat auto-connects and auto-joins #test from a throw-away config dir, is
driven with xdotool (typing into its input box), and is checked through the
other participant, through the wire log and through HexChat's own chat logs
(irc_logging), which hold exactly the text that HexChat shows in its tabs.
Screenshots of the whole X screen go to the output dir.
"""

import glob
import os
import pwd
import grp
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (PEER_HOST, Test, Server, WireProxy, Peer, need_programs, find_errors,  # noqa: E402
                 write_file, fail, poll)

NICK, NICK2 = "hexchat1", "hexchat2"
T = 10          # seconds allowed for any single step
RUN_AS = "nobody"   # HexChat stops at a modal dialog when run as root


class Display:
    """An Xvfb on a free display (Xvfb picks it: -displayfd)."""

    def __init__(self, t):
        self.t = t
        r, w = os.pipe()
        self.errf = open(t.path("xvfb.stderr"), "w")
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x800x24",
             "-nolisten", "tcp", "-ac"],
            stdin=subprocess.DEVNULL, stdout=self.errf, stderr=subprocess.STDOUT,
            pass_fds=(w,), start_new_session=True)
        os.close(w)
        t.at_cleanup(self.stop)
        buf = b""
        while not buf.endswith(b"\n"):
            ready, _, _ = select.select([r], [], [], 10)
            if not ready:
                fail("Xvfb did not report a display within 10 s")
            chunk = os.read(r, 64)
            if not chunk:
                fail("Xvfb exited: see xvfb.stderr")
            buf += chunk
        os.close(r)
        self.display = ":" + buf.decode().strip()
        t.log("Xvfb on display %s" % self.display)

    def env(self):
        e = dict(os.environ)
        e["DISPLAY"] = self.display
        return e

    def run(self, *argv, check=True):
        r = subprocess.run(list(argv), env=self.env(), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=15)
        if check and r.returncode != 0:
            fail("%s: %s" % (" ".join(argv), r.stderr.decode(errors="replace").strip()))
        return r.stdout.decode(errors="replace")

    def screenshot(self, name):
        p = self.t.path(name)
        r = subprocess.run(["import", "-window", "root", p], env=self.env(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=15)
        if r.returncode != 0:
            self.t.log("screenshot failed: %s" % r.stderr.decode(errors="replace").strip())
        return p

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(3)
        self.errf.close()


def hexchat_config(cfg, port):
    logdir = os.path.join(cfg, "logs")
    write_file(os.path.join(cfg, "hexchat.conf"), """version = 2.16.1
gui_slist_skip = 1
gui_join_dialog = 0
gui_quit_dialog = 0
gui_tray = 0
gui_win_left = 0
gui_win_top = 0
gui_win_width = 1200
gui_win_height = 760
gui_win_save = 0
gui_ulist_hide = 0
irc_nick1 = %s
irc_nick2 = %s_
irc_nick3 = %s__
irc_user_name = hexchat
irc_real_name = HexChat Tester
irc_logging = 1
irc_logmask = %%n/%%c.log
irc_whois_front = 0
net_auto_reconnect = 0
net_auto_reconnectonfail = 0
net_throttle = 0
text_replay = 0
dcc_dir = %s
dcc_completed_dir = %s
""" % (NICK, NICK, NICK, os.path.join(cfg, "downloads"), os.path.join(cfg, "downloads")))
    # F = 10: FLAG_USE_GLOBAL (nick/user/real from hexchat.conf) | FLAG_AUTO_CONNECT;
    # no FLAG_USE_SSL.  J= is the autojoin channel.
    write_file(os.path.join(cfg, "servlist.conf"), """v=2.16.1

N=TestNet
E=UTF-8 (Unicode)
F=10
D=0
S=127.0.0.1/%d
J=#test
""" % port)
    os.makedirs(logdir)
    os.makedirs(os.path.join(cfg, "downloads"))


def read_logs(cfg):
    out = {}
    for p in sorted(glob.glob(os.path.join(cfg, "logs", "**", "*.log"), recursive=True)):
        with open(p, errors="replace") as f:
            out[os.path.relpath(p, cfg)] = f.read()
    return out


def body(t):
    need_programs(t, "hexchat", "Xvfb", "xdotool", "import")
    # as root, HexChat runs as RUN_AS; as anyone else, as that user
    as_root = os.geteuid() == 0
    if as_root:
        need_programs(t, "setpriv")
        try:
            uid = pwd.getpwnam(RUN_AS).pw_uid
            gid = grp.getgrnam("nogroup").gr_gid
        except KeyError:
            t.skip("no user %s / group nogroup to run HexChat as" % RUN_AS)

    srv = Server(t).start()
    wire = WireProxy(t, srv.port)
    dpy = Display(t)

    # The config dir must be reachable by nobody, which the build tree may not
    # be (mktemp -d makes 0700 dirs): use a fresh dir in /tmp and copy it to
    # OUT/cfg at the end.
    cfg = tempfile.mkdtemp(prefix="ircmini-hexchat-")
    os.chmod(cfg, 0o755)

    def keep_cfg():
        with open(t.path("hexchat-tabs.txt"), "w") as f:   # printed on failure
            for name, text in read_logs(cfg).items():
                f.write("===== %s\n%s\n" % (name, text))
        shutil.copytree(cfg, t.path("cfg"), dirs_exist_ok=True)
        shutil.rmtree(cfg, ignore_errors=True)
    t.at_cleanup(keep_cfg)
    hexchat_config(cfg, wire.port)
    if as_root:     # only root may give files away, and only root needs to
        for root, dirs, files in os.walk(cfg):
            for n in [root] + [os.path.join(root, f) for f in dirs + files]:
                os.chown(n, uid, gid)

    env = dpy.env()
    env.update({"HOME": cfg, "XDG_CONFIG_HOME": cfg, "XDG_DATA_HOME": cfg,
                "XDG_CACHE_HOME": cfg, "XDG_RUNTIME_DIR": cfg, "LANG": "C.UTF-8",
                "NO_AT_BRIDGE": "1", "GDK_BACKEND": "x11"})
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    hxerr = open(t.path("hexchat.stderr"), "w")
    argv = ["hexchat", "--cfgdir=" + cfg, "--no-plugins"]
    if as_root:
        argv = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid, "--clear-groups"] + argv
    t.log("hexchat: " + " ".join(argv))
    hx = subprocess.Popen(argv, env=env, cwd=cfg, stdin=subprocess.DEVNULL, stdout=hxerr,
                          stderr=subprocess.STDOUT, start_new_session=True)

    def stop_hexchat():
        if hx.poll() is None:
            try:
                os.killpg(hx.pid, 15)
                hx.wait(3)
            except Exception:
                try:
                    os.killpg(hx.pid, 9)
                except ProcessLookupError:
                    pass
                hx.wait(3)
        hxerr.close()
    t.at_cleanup(stop_hexchat)
    t.at_cleanup(lambda: dpy.screenshot("screenshot-last.png"))

    def log_has(regex, where=None):
        rx = re.compile(regex, re.M)
        for name, text in read_logs(cfg).items():
            if (where is None or where in name) and rx.search(text):
                return True
        return False

    def wait_log(regex, what, where=None, timeout=T):
        if not poll(lambda: log_has(regex, where), timeout):
            fail("%s: HexChat's log%s does not show /%s/ within %.0f s" % (
                what, " " + where if where else "s", regex, timeout))

    # -- auto-connect, welcome, auto-join ---------------------------------------------
    w = wire.wait("S>", r"^:\S+ 001 ", 15, what="welcome (HexChat auto-connect)")
    text = (w.split(" :", 1)[1] if " :" in w else w.split(" ", 3)[-1]).strip()
    wait_log(re.escape(text), "welcome (001) text shown")
    t.ok("auto-connected, welcome shown: %s" % text)
    wire.wait("C>", r"^JOIN #test", T, what="HexChat autojoin (after end of MOTD)")
    wire.wait("S>", r"^:%s!\S+ JOIN :?#test" % NICK, T, what="JOIN #test echoed")
    wire.wait("S>", r"^:\S+ 366 %s #test " % NICK, T, what="names of #test (366)")
    wait_log(r"You have joined #test|Now talking on #test", "join shown", "#test")
    t.ok("auto-joined #test")

    peer = Peer(t, srv.port)
    m = peer.mark()
    peer.send("JOIN #test")
    names = peer.wait(r" 353 peer1 [=*@] #test :", T, m, "peer's NAMES")
    if not re.search(r"[ :][@+]?%s( |$)" % NICK, names):
        fail("peer's NAMES of #test lacks %s: %s" % (NICK, names))
    peer.wait(r" 366 peer1 #test ", T, m, "peer join")
    wait_log(r"peer1 \(~?peer@[^)]*\) has joined", "peer's join shown", "#test")
    t.ok("peer joined; both in NAMES; HexChat shows the join")

    peer.send("PRIVMSG #test :hello from peer")
    wait_log(r"peer1>?\s+hello from peer", "peer's message shown", "#test")
    t.ok("peer's message shown")
    dpy.screenshot("screenshot-joined.png")

    # -- type into HexChat's input box ----------------------------------------------------
    win = dpy.run("xdotool", "search", "--sync", "--onlyvisible", "--class", "hexchat").split()
    if not win:
        fail("no visible HexChat window")
    win = win[0]
    dpy.run("xdotool", "windowfocus", "--sync", win, check=False)

    # Type into the focused window with XTEST (xdotool --window would use
    # XSendEvent, which GTK ignores); HexChat's input box has the focus.
    def type_focused(line):
        dpy.run("xdotool", "windowfocus", "--sync", win, check=False)
        dpy.run("xdotool", "type", "--delay", "15", "--", line)
        dpy.run("xdotool", "key", "Return")

    m = peer.mark()
    type_focused("hello from hexchat")
    peer.wait(r"^:%s!\S+ PRIVMSG #test :hello from hexchat$" % NICK, T, m, "typed message")
    wait_log(r"%s>?\s+hello from hexchat" % NICK, "own message shown", "#test")
    t.ok("message typed into HexChat arrives at the peer")

    m = peer.mark()
    type_focused("/me waves")
    peer.wait(r"^:%s!\S+ PRIVMSG #test :\x01ACTION waves\x01$" % NICK, T, m, "/me")
    peer.send("PRIVMSG #test :\x01ACTION waves back\x01")
    wait_log(r"\*\s+peer1 waves back", "peer's action shown", "#test")
    t.ok("/me and actions both ways")

    m = peer.mark()
    type_focused("/topic new topic from hexchat")
    peer.wait(r"^:%s!\S+ TOPIC #test :new topic from hexchat$" % NICK, T, m, "/topic")
    wait_log(r"%s has changed the topic to: new topic from hexchat" % NICK,
             "topic change shown", "#test")
    t.ok("/topic: peer sees TOPIC, HexChat shows it")

    mw = wire.mark()
    type_focused("/whois peer1")
    wire.wait("C>", r"^(?i:whois) peer1", T, mw, "WHOIS sent")
    wire.wait("S>", r"^:\S+ 318 ", T, mw, "end of WHOIS (318)")
    wait_log(r"\[peer1\] \(~?peer@" + PEER_HOST + r"\): Peer Participant", "whois user (311)")
    wait_log(r"\[peer1\] End of", "whois end (318)")
    t.ok("/whois peer1 shown")

    m = peer.mark()
    type_focused("/nick " + NICK2)
    peer.wait(r"^:%s!\S+ NICK :?%s$" % (NICK, NICK2), T, m, "/nick")
    peer.send("NICK peer2")
    wait_log(r"peer1 is now known as peer2", "peer's nick change shown", "#test")
    t.ok("nick changes both ways")

    m = peer.mark()
    type_focused("/part #test bye for now")
    peer.wait(r"^:%s!\S+ PART #test( :?bye for now)?$" % NICK2, T, m, "/part")
    m = peer.mark()
    mw = wire.mark()
    type_focused("/join #test")
    peer.wait(r"^:%s!\S+ JOIN :?#test$" % NICK2, T, m, "rejoin")
    # HexChat follows a join with MODE #test and WHO #test: let them be answered
    wire.wait("S>", r"^:\S+ (324|4\d\d) ", T, mw, "reply to MODE #test after the rejoin")
    wire.wait("S>", r"^:\S+ (315|4\d\d) ", T, mw, "reply to WHO #test after the rejoin")
    wait_log(r"Topic for #test is: new topic from hexchat", "topic shown on rejoin (332)", "#test")
    t.ok("/part and rejoin: peer sees PART and JOIN")

    time.sleep(0.3)     # let GTK draw the last lines
    dpy.screenshot("screenshot-session.png")
    logs = read_logs(cfg)
    bad = []
    for name, text in logs.items():
        # (HexChat's desktop-notification plugin cannot start a D-Bus session
        # here: environment noise, not the server's doing)
        bad += ["%s: %s" % (name, ln) for ln in
                find_errors(text, ignore=[r"dbus", r"session bus", r"notification plugin"])]
    if bad:
        fail("error lines in HexChat's tabs:\n    " + "\n    ".join(bad))
    t.ok("no unknown-command / error lines in HexChat's tabs (%s)" % ", ".join(sorted(logs)))

    m = peer.mark()
    type_focused("/quit gone fishing")
    peer.wait(r"^:%s!\S+ QUIT :.*gone fishing" % NICK2, T, m, "/quit")
    t.ok("/quit: peer sees QUIT")

    if hx.poll() is not None:
        fail("HexChat exited with %s" % hx.returncode)
    if wire.conns != 1:
        fail("HexChat connected %d times (reconnects?), see wire.log" % wire.conns)
    t.log("client sent: " + " ".join(wire.client_commands()))
    srv.finish()


if __name__ == "__main__":
    Test("hexchat").run(body)

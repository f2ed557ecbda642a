#!/usr/bin/env python3
"""LIST a slice at a time (issue 12, "safelist"; src/cmd_list.c).

A small list_chunk makes every LIST here run in many slices, resumed when
the client's queue drains; the work counters (STATS w: walk = channels
looked at, list = slices run) show the resume path ran, never a clock.
Lines a client sends in one write are handled in one pass, after the
LIST's first slice: that is how channels go away under a parked cursor,
deterministically."""
import re

from ircharness import Client, oper_hash, running, run_tests

OPER_PW = "list-pw"
CHUNK = 7


def config(extra=""):
    return ("[operators]\nboss = %s\n[limits]\nflood_burst = 0\nmax_channels = 5000\n"
            "join_rate = 0\nchannel_rate = 0\nlist_chunk = %d\n" % (oper_hash(OPER_PW), CHUNK) + extra)


def work(c):
    c.send("STATS w")
    line = c.expect(r" 249 \S+ w :")
    c.expect(r" 219 ")
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


def boss(srv):
    b = srv.client("boss")
    b.send("OPER boss " + OPER_PW)
    b.expect(r" 381 ")
    return b


def make_channels(c, names, per_line=40, sync_each=False):
    """c joins (creates) every channel of names, a line of them at a time."""
    for i in range(0, len(names), per_line):
        c.send("JOIN " + ",".join(names[i:i + per_line]))
        if sync_each:
            c.sync()
    c.sync()
    c.lines.clear()


def listed(lines):
    return [l.split()[3] for l in lines if " 322 " in l]


def test_every_channel_once_in_many_slices():
    with running(config()) as srv:
        b = boss(srv)
        owner = srv.client("owner")
        names = ["#ch%04d" % i for i in range(2000)]
        make_channels(owner, names)
        owner.send("TOPIC #ch0042 :the answer")
        owner.expect(r"TOPIC #ch0042")
        lister = srv.client("lister")
        assert "SAFELIST" in " ".join(l for l in lister.log if " 005 " in l)
        before = work(b)
        lister.send("LIST")
        lines = lister.collect_until(r" 323 ", timeout=30)
        after = work(b)
        assert re.match(r":irc.test 321 lister Channel :Users  Name$", lines[0]), lines[0]
        assert lines[-1] == ":irc.test 323 lister :End of /LIST", lines[-1]
        got = listed(lines)
        assert sorted(got) == names, (len(got), len(set(got)))
        assert ":irc.test 322 lister #ch0042 1 :the answer" in lines
        assert after["walk"] - before["walk"] == 2000, (before, after)
        # one slice per CHUNK channels: the resume path ran, not one walk
        assert after["list"] - before["list"] >= 2000 // CHUNK, (before, after)
        # filters in slices too: masks and user counts
        lister.send("LIST *ch01?5*")
        got = listed(lister.collect_until(r" 323 ", timeout=30))
        assert sorted(got) == ["#ch01%d5" % d for d in range(10)], got
        second = srv.client("second").join("#ch1999")  # kept: a dropped Client quits
        lister.send("LIST >1")
        lines = lister.collect_until(r" 323 ", timeout=30)
        assert listed(lines) == ["#ch1999"], lines[-3:]
        # the plain form names channels: answered at once, as before
        lister.send("LIST #ch0001,#nope,#ch0002")
        assert listed(lister.collect_until(r" 323 ")) == ["#ch0001", "#ch0002"]


def test_channels_freed_and_created_under_the_cursor():
    """The lister owns every channel. After the first slice (#c000..#c006)
    its PARTs free #c007..#c249 - the parked cursor's channel among them,
    again and again - and its JOINs create #new00..#new19 at the end.
    Exactly the survivors and the new channels follow, each once."""
    with running(config()) as srv:
        b = boss(srv)
        c = srv.client("lister")
        names = ["#c%03d" % i for i in range(300)]
        make_channels(c, names)
        gone = names[CHUNK:250]
        new = ["#new%02d" % i for i in range(20)]
        batch = "LIST\r\n"
        for i in range(0, len(gone), 60):
            batch += "PART %s :bye\r\n" % ",".join(gone[i:i + 60])
        batch += "JOIN %s\r\n" % ",".join(new)
        batch += "PING :mid-list\r\n"
        before = work(b)
        c.sendraw(batch.encode())
        lines = c.collect_until(r" 323 ", timeout=30)
        got = listed(lines)
        assert got == names[:CHUNK] + names[250:] + new, got
        # other commands ran while the LIST was in progress
        pong = [i for i, l in enumerate(lines) if "PONG" in l and "mid-list" in l]
        assert pong and pong[0] < len(lines) - 1, lines[-5:]
        assert work(b)["list"] - before["list"] > 1
        # the server is fine, and a new LIST sees the new state
        c.send("LIST")
        assert sorted(listed(c.collect_until(r" 323 ", timeout=30))) == sorted(names[:CHUNK] + names[250:] + new)


def test_second_list_replaces_the_first():
    with running(config()) as srv:
        c = srv.client("lister")
        names = ["#r%03d" % i for i in range(200)]
        make_channels(c, names)
        c.sendraw(b"LIST\r\nLIST *7*\r\n")
        lines = c.collect_until(r" 323 .*\r?$", timeout=10)
        lines += c.collect_until(r" 323 ", timeout=30)
        starts = [i for i, l in enumerate(lines) if " 321 " in l]
        ends = [i for i, l in enumerate(lines) if " 323 " in l]
        assert len(starts) == 2 and len(ends) == 2, (starts, ends)
        first = listed(lines[starts[0]:ends[0]])
        second = listed(lines[starts[1]:ends[1]])
        assert first == names[:CHUNK], first          # cut short after one slice
        assert second == [n for n in names if "7" in n], second


def test_quit_mid_list_frees_it():
    """QUIT and a closed socket in the middle of a LIST: the server frees
    the LIST (make check-valgrind: no leak, no use after free) and lists
    for others as before."""
    with running(config()) as srv:
        b = boss(srv)
        owner = srv.client("owner")
        names = ["#q%03d" % i for i in range(300)]
        make_channels(owner, names)
        q = srv.client("quitter")
        before = work(b)
        q.sendraw(b"LIST\r\nQUIT :gone\r\n")
        assert q.wait_closed()
        b.sync()
        done = work(b)
        # one slice, then the QUIT of the same read: nothing more was walked
        assert (done["walk"] - before["walk"], done["list"] - before["list"]) == (CHUNK, 1), (before, done)
        # sockets closed under a LIST (how far each got depends on timing)
        s = srv.client("slammer")
        s.send("LIST")
        s.close()
        for i in range(3):
            r = srv.client("r%d" % i)
            r.sendraw(b"LIST\r\n")
            r.close()
        b.sync()
        a = srv.client("after")
        a.send("LIST")
        assert sorted(listed(a.collect_until(r" 323 ", timeout=30))) == names


def test_slow_reader_is_not_cut_off():
    """The whole list (3000 x ~60 bytes) is ten times the sendq. Queued in
    one go, as before, it would end the connection ("SendQ exceeded") even
    for a client that reads; in slices the queue stays under the sendq, a
    client that reads nothing for a while is not cut off, and it gets every
    channel once when it reads again."""
    with running(config("sendq = 16384\n")) as srv:
        b = boss(srv)
        owner = srv.client("owner")
        names = ["#slow-reader-channel-%04d" % i for i in range(3000)]
        make_channels(owner, names, per_line=16, sync_each=True)
        slow = srv.client("slow")
        slow.send("LIST")
        for _ in range(10):       # the server runs its slices meanwhile
            b.sync()
        lines = slow.collect_until(r" 323 ", timeout=60)
        assert sorted(listed(lines)) == names
        slow.send("PING :still-here")
        slow.expect(r"PONG .*still-here")


if __name__ == "__main__":
    run_tests(globals())

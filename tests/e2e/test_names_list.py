#!/usr/bin/env python3
"""Issue 12: NAMES with a list of channels (TARGMAX NAMES: no limit): the
353s of each visible channel, then one 366 naming the list as given; one
channel keeps its own 366. Whole lines."""
from ircharness import running, run_tests


def test_names_of_several_channels_end_with_one_366():
    with running() as srv:
        a = srv.client("alice").join("#a")
        b = srv.client("bob").join("#b")
        s = srv.client("sec").join("#s")
        s.send("MODE #s +s")
        s.expect(r"MODE #s \+s")
        a.send("NAMES #a,#b,#s,#none")
        lines = a.collect_until(r" 366 ")
        assert lines == [":irc.test 353 alice = #a :@alice",
                         ":irc.test 353 alice = #b :@bob",
                         ":irc.test 366 alice #a,#b,#s,#none :End of /NAMES list"], lines
        a.send("NAMES #b")
        assert a.collect_until(r" 366 ") == [":irc.test 353 alice = #b :@bob",
                                             ":irc.test 366 alice #b :End of /NAMES list"]
        a.send("NAMES #none")
        assert a.collect_until(r" 366 ") == [":irc.test 366 alice #none :End of /NAMES list"]
        # the ISUPPORT promise this answers: NAMES with no limit
        isupport = " ".join(l for l in a.log if " 005 " in l)
        assert ",NAMES:," in isupport, isupport


if __name__ == "__main__":
    run_tests(globals())

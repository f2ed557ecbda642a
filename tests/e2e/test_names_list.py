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


def test_who_matches_real_names_and_whox_match_flags():
    with running() as srv:
        a = srv.client("alice", realname="Plain Name")
        others = [srv.client("xavier", realname="Someone Else"),   # kept open
                  srv.client("rob", realname="Max Power")]
        # Modern IRC: a mask with spaces matches real names
        a.send("WHO :*Max Power*")
        assert a.collect_until(r" 315 ") == [
            ":irc.test 352 alice * rob 127.0.0.1 irc.test rob H :0 Max Power",
            ":irc.test 315 alice * :End of /WHO list"]
        # WHOX match flags before '%': r = the real name only, n = the nick only
        a.send("WHO *x* r%tnr,42")
        got = a.collect_until(r" 315 ")
        assert got == [":irc.test 354 alice 42 rob :Max Power",
                       ":irc.test 315 alice *x* :End of /WHO list"], got
        a.send("WHO *x* n%tnr,42")
        assert a.collect_until(r" 315 ") == [":irc.test 354 alice 42 xavier :Someone Else",
                                             ":irc.test 315 alice *x* :End of /WHO list"]
        # u = the user name; a plain word with flags other than n is a mask
        a.send("WHO rob u%tn,1")
        assert a.collect_until(r" 315 ") == [":irc.test 354 alice 1 rob",
                                             ":irc.test 315 alice rob :End of /WHO list"]
        # i (the address) is for operators: a user's mask does not probe it
        a.send("WHO 127.0.0.* i%tn,2")
        assert a.collect_until(r" 315 ") == [":irc.test 315 alice 127.0.0.* :End of /WHO list"]
        assert len(others) == 2


def test_list_filters_elist():
    with running() as srv:
        a = srv.client("alice").join("#big").join("#small").join("#other")
        keep = [srv.client("u%d" % i).join("#big") for i in range(2)]
        a.send("TOPIC #big :hello")
        a.expect(r"TOPIC #big")
        assert "ELIST=CMNTU" in " ".join(l for l in a.log if " 005 " in l)

        def listing(arg):
            a.send("LIST " + arg)
            return [l for l in a.collect_until(r" 323 ") if " 322 " in l]
        assert listing(">2") == [":irc.test 322 alice #big 3 :hello"]
        assert sorted(listing("<2")) == [":irc.test 322 alice #other 1 :",
                                         ":irc.test 322 alice #small 1 :"]
        assert listing("*ig*") == [":irc.test 322 alice #big 3 :hello"]
        assert sorted(listing("!*ig*")) == [":irc.test 322 alice #other 1 :",
                                            ":irc.test 322 alice #small 1 :"]
        assert listing("#s*,<2") == [":irc.test 322 alice #small 1 :"]
        # created less than 5 minutes ago: all; more than 5: none
        assert len(listing("C<5")) == 3 and listing("C>5") == []
        # topic set less than 5 minutes ago: only #big (the others have none)
        assert listing("T<5") == [":irc.test 322 alice #big 3 :hello"]
        # a plain name is still the plain lookup
        assert listing("#small") == [":irc.test 322 alice #small 1 :"]
        assert len(keep) == 2


if __name__ == "__main__":
    run_tests(globals())

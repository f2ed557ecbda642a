#!/usr/bin/env python3
"""The README's Quick start install commands and .ci/run install the same
packages, command for command: CI tests what a new user gets (issue 14)."""
import os
import re
import sys

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def installs(name):
    """The package list of each `apt-get install -y` in the file, in order."""
    with open(os.path.join(TOP, name)) as f:
        text = f.read()
    return [m.group(1).split() for m in re.finditer(r"apt-get install -y ((?:[\w.+-]+ ?)+)", text)]


readme, ci = installs("README"), installs(".ci/run")
print("README: %s\n.ci/run: %s" % (readme, ci))
if len(readme) != 2:
    sys.exit("README: want 2 install commands (build and run; tests), found %d" % len(readme))
for what, r, c in zip(("build", "test"), readme, ci + [[]] * 2):
    if sorted(r) != sorted(c):
        sys.exit("%s packages differ: only in README %s, only in .ci/run %s"
                 % (what, sorted(set(r) - set(c)), sorted(set(c) - set(r))))
if len(ci) != 2:
    sys.exit(".ci/run: want 2 install commands, found %d" % len(ci))
print("in lockstep")

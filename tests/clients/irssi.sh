#!/bin/sh
# irssi against a freshly started server, driven in tmux.  See README.md.
here=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 missing"; exit 77; }
exec python3 "$here/irssi.py" "$@"

#!/bin/sh
# irssi on one ircmini node, WeeChat on another, one Redis.  See README.md.
here=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 missing"; exit 77; }
exec python3 "$here/cluster.py" "$@"

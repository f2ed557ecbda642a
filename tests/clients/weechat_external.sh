#!/bin/sh
# weechat logs in with SASL EXTERNAL (TLS client certificate) through the Atheme link (issue 11).  See README.md.
here=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 missing"; exit 77; }
exec python3 "$here/sasl.py" weechat external "$@"

#!/bin/sh
# callgrind.sh - instructions the server executes for one ircbench run.
#
#   contrib/audit/callgrind.sh BINARY EXTRA SCENARIO [ircbench options]
#
# Starts BINARY under valgrind --tool=callgrind on a fresh loopback port
# with flood control and per-address limits off, plus EXTRA (more [limits]
# lines, e.g. 'join_rate = 0\nchannel_rate = 0\n'), runs ircbench, stops
# the server and prints ircbench's ok= and the program's total instructions.
# Deterministic where wall-clock rates on a shared machine are not.
set -eu
bin=$1; extra=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
d=$(mktemp -d /tmp/ircmini-cg.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '[server]\nname = irc.bench\n[listen]\naddress = 127.0.0.1:%s\n[limits]\nmax_clients = 20000\nflood_burst = 0\nsendq = 16777216\nmax_per_ip = 1000000\n%b' \
	"$port" "$extra" > "$d/conf.ini"
valgrind --tool=callgrind --callgrind-out-file="$d/cg.out" "$bin" -c "$d/conf.ini" > "$d/log" 2>&1 &
vpid=$!
i=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "server did not start: $d/log" >&2; kill $vpid; exit 1; }
	sleep 0.3
done
"$here/../ircbench/ircbench" "$@" --port "$port" --timeout 600 > "$d/bench.out" 2> "$d/bench.err" || true
kill -INT $vpid
wait $vpid || true
grep -o ' ok=[01]' "$d/bench.out" | head -1
callgrind_annotate "$d/cg.out" 2>/dev/null | grep -m1 'PROGRAM TOTALS'
echo "files: $d"

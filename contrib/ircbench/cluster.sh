#!/bin/bash
# ircbench against a cluster (doc/cluster.md): a redis-server and N ircmini
# nodes on loopback, members spread over the nodes (--ports), against one
# node alone in the same run.
#
#   contrib/ircbench/cluster.sh [path/to/ircmini]     (default ./src/ircmini)
# (bash: /dev/tcp for port checks)
#
# Knobs: NODES ("1 2 3": each count is one run; 1 = a single node without
# [cluster]), SCENARIOS ("fanout latency channels"), FANOUT_ARGS,
# LATENCY_ARGS, CHANNELS_ARGS, IRCBENCH, REDIS_STATS (a file: Redis's
# INFO commandstats and cpu and its SLOWLOG (over 1 ms) after each cluster
# run are appended to it), CLUSTER_EXTRA (more [cluster] lines, \n for
# newlines, e.g. "snapshot_interval = 1\n"), REDIS_UNIX (non-empty: the
# nodes reach Redis over a unix socket instead of TCP loopback). Prints ircbench's result line per
# run. Every process it starts is stopped by PID on exit.
set -eu
IRCMINI=${1:-./src/ircmini}
IRCBENCH=${IRCBENCH:-./contrib/ircbench/ircbench}
NODES=${NODES:-"1 2 3"}
SCENARIOS=${SCENARIOS:-"fanout latency channels"}
FANOUT_ARGS=${FANOUT_ARGS:-"--clients 1000 --senders 10 --messages 500 --window 64"}
# unloaded cross-node latency: one sender, one message in flight at a time
LATENCY_ARGS=${LATENCY_ARGS:-"--clients 3 --senders 1 --messages 2000 --window 1"}
CHANNELS_ARGS=${CHANNELS_ARGS:-"--channels 100 --members 20 --messages 100"}
work=$(mktemp -d /tmp/ircbench-cluster.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	sleep 0.5
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() {   # a random port nobody listens on, below the ephemeral range
	# (a node's own connection to Redis, or a client's, may hold any port
	# there without listening: the listener's bind would fail)
	local q lo
	lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	while :; do
		q=$((10000 + RANDOM % (lo - 10000)))
		(exec 3<>"/dev/tcp/127.0.0.1/$q") 2>/dev/null || { echo "$q"; return; }
	done
}

wait_port() {   # wait_port PORT [LOG]
	local k=0
	while ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
		k=$((k + 1))
		[ $k -lt 200 ] || { echo "port $1 never opened${2:+: $(tail -3 "$2")}" >&2; exit 1; }
		sleep 0.05
	done
}

run() {   # run N SCENARIO
	n=$1; sc=$2
	rport=$(free_port)
	ports=""
	if [ "$n" -gt 1 ]; then
		mkdir -p "$work/r$rport"
		redis-server --port "$rport" --bind 127.0.0.1 --dir "$work/r$rport" --save '' \
			--appendonly no --slowlog-log-slower-than 1000 \
			${REDIS_UNIX:+--unixsocket "$work/r$rport/redis.sock"} >"$work/redis.log" 2>&1 &
		pids="$pids $!"
		wait_port "$rport"
	fi
	raddr=127.0.0.1:$rport
	[ -z "${REDIS_UNIX:-}" ] || raddr=unix:$work/r$rport/redis.sock
	i=1
	while [ $i -le "$n" ]; do
		p=$(free_port)
		conf="$work/n$i-$p.ini"
		{
			printf '[server]\nname = irc%d.bench\nnetwork = Bench\nsid = %dBB\nlog_level = warn\n' $i $i
			printf '[listen]\naddress = 127.0.0.1:%d\n' "$p"
			printf '[limits]\nmax_clients = 100000\nmax_per_ip = 1000000\nthrottle_connects = 1000000\njoin_rate = 0\nchannel_rate = 0\nnick_rate = 0\nflood_burst = 0\nsendq = 16777216\nmax_channels = 1000\n'
			printf '%s' "${LIMITS_EXTRA:-}"
			[ "$n" -gt 1 ] && printf '[cluster]\nredis = %s\nprefix = b%d\n%b' "$raddr" "$rport" "${CLUSTER_EXTRA:-}"
		} >"$conf"
		"$IRCMINI" -c "$conf" 2>"$work/n$i.log" &
		pids="$pids $!"
		wait_port "$p" "$work/n$i.log"
		ports="${ports:+$ports,}$p"
		i=$((i + 1))
	done
	case $sc in
	fanout) args=$FANOUT_ARGS; scen=fanout ;;
	latency) args=$LATENCY_ARGS; scen=fanout ;;
	channels) args=$CHANNELS_ARGS; scen=channels ;;
	esac
	# shellcheck disable=SC2086
	"$IRCBENCH" "$scen" --ports "$ports" --label "$sc-$n-node" --timeout 120 $args 2>>"${BENCH_ERR:-/dev/null}" || true
	if [ "$n" -gt 1 ] && [ -n "${REDIS_STATS:-}" ]; then
		# what Redis spent per command (usec_per_call) and its own CPU
		{ echo "[$sc-$n-node] redis:"; redis-cli -p "$rport" INFO commandstats | grep -E 'evalsha|eval|xread|xadd'
		  redis-cli -p "$rport" INFO cpu | grep used_cpu_
		  echo "slowlog (commands over 1 ms): $(redis-cli -p "$rport" SLOWLOG LEN)"
		  redis-cli -p "$rport" SLOWLOG GET 5 | tr '\n' ' ' | sed 's/$/\n/'; } | tr -d '\r' >>"$REDIS_STATS"
	fi
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	pids=""
}

for sc in $SCENARIOS; do
	for n in $NODES; do
		run "$n" "$sc"
	done
done

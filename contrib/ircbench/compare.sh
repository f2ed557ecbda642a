#!/usr/bin/env bash
# compare.sh - ircmini against ngIRCd and InspIRCd, same run, same machine.
#
# usage: contrib/ircbench/compare.sh [path/to/ircmini]
#
# Every (round, scenario, server) gets a fresh server process on a fresh
# loopback port, so one scenario's leftovers (memory, TIME_WAIT) never bias
# the next. Servers take turns: the first server of round r is server r mod n,
# so slow drift of the machine is spread over everyone. The server is pinned
# to one core and the generator to the other.
#
# Peers come from Debian's packages. They conflict as packages, so they are
# fetched with `apt-get download` and unpacked with `dpkg -x` into PEERS_DIR
# and run from there; nothing is installed. A peer that cannot be fetched or
# started is skipped with a message.
#
# Knobs (environment):
#   IRCMINI     ircmini binary (default ./src/ircmini; first argument wins)
#   PEERS_DIR   scratch dir for the unpacked peers (/tmp/ircbench-peers)
#   SERVERS     servers to run (ircmini ngircd inspircd)
#   SCENARIOS   fanout channels connect burst churn
#   ROUNDS      rounds (3)
#   SERVER_CPU / GEN_CPU   cores for the server and the generator (0 / 1)
#   PORT_BASE   first loopback port used (16600)
#   WINDOW      per-sender window for fanout and channels (64)
#   FANOUT_ARGS CHANNELS_ARGS CONNECT_ARGS BURST_ARGS CHURN_ARGS
#               ircbench arguments per scenario (defaults below)
#   IRCBENCH    prebuilt ircbench (default: built into the work dir)
#   KEEP        1 = keep the work dir (configs, logs, raw results)
#   LOGS        1 = keep server output in the work dir; by default it goes
#               to /dev/null, because ngIRCd writes several log lines per
#               connection to stderr and that costs it real CPU in churn
#
# Limits applied identically to every server (see README for the why):
#   20000 clients, no per-IP limit, flood control off or relaxed so nobody is
#   throttled, 16 MiB send queue per client, no DNS or ident lookups,
#   PING every 120 s.
#   ircmini : [limits] max_clients=20000 max_per_ip=1000000
#             throttle_connects=1000000 flood_burst=0 sendq=16777216
#             join_rate=0 channel_rate=0 nick_rate=0
#             (the per-address limits raised, not switched off, so their
#             table lookups and the default host cloaks are in the figures;
#             the per-client rates off: churn's 16 addresses create channels
#             far faster than any person)
#   ngIRCd  : MaxConnections=0 MaxConnectionsIP=0 MaxJoins=0
#             MaxPenaltyTime=0 (no penalty delays at all: the second after
#             registration, MODE, and the 3-commands-per-pass and
#             256-bytes/s throttles all go through Conn_SetPenalty, which
#             this caps to 0 s). DNS=no Ident=no PAM=no. Opering the talkers
#             and setting user mode +F (10 commands per pass instead of 3)
#             was tried: never faster, and bimodal (1.4-3.5M/s in fanout), so
#             it is not used. Its 32 KiB client write buffer and listen
#             backlog of 10 are compiled in and cannot be configured.
#   InspIRCd: <connect threshold=1000000 commandrate=1000000000 fakelag=no
#             softsendq=hardsendq=recvq=16777216 localmax=globalmax=limit=
#             100000 resolvehostnames=no> <performance softlimit=20000
#             somaxconn=4096 clonesonconnect=no>. Registration completes on
#             its once-a-second timer; that is compiled in too.
set -u

here=$(cd "$(dirname "$0")" && pwd)
IRCMINI=${1:-${IRCMINI:-./src/ircmini}}
PEERS_DIR=${PEERS_DIR:-/tmp/ircbench-peers}
SERVERS=${SERVERS:-"ircmini ngircd inspircd"}
SCENARIOS=${SCENARIOS:-"fanout channels connect burst churn"}
ROUNDS=${ROUNDS:-3}
SERVER_CPU=${SERVER_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
PORT_BASE=${PORT_BASE:-16600}
WINDOW=${WINDOW:-64}
FANOUT_ARGS=${FANOUT_ARGS:-"--clients 1000 --senders 10 --messages 500 --window $WINDOW --timeout 120"}
CHANNELS_ARGS=${CHANNELS_ARGS:-"--channels 100 --members 20 --messages 100 --window $WINDOW --timeout 150"}
CONNECT_ARGS=${CONNECT_ARGS:-"--clients 19000 --rate 4000 --idle 2 --timeout 90"}
BURST_ARGS=${BURST_ARGS:-"--clients 1024 --burst 256 --idle 1 --reg-timeout 10 --timeout 90"}
CHURN_ARGS=${CHURN_ARGS:-"--clients 128 --cycles 30000 --duration 15 --timeout 60"}
KEEP=${KEEP:-0}
LOGS=${LOGS:-0}

work=$(mktemp -d /tmp/ircbench-run.XXXXXX)
chmod 755 "$work"   # ngIRCd drops to 'nobody' after reading its config
results=$work/results.txt
: >"$results"
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	[ -n "${spid:-}" ] && kill "$spid" 2>/dev/null
	if [ "$KEEP" = 1 ]; then echo "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*" >&2; }

# Servers and generator hold one descriptor per client.
ulimit -n "$(ulimit -Hn)" 2>/dev/null

pin_srv=() pin_gen=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	pin_srv=(taskset -c "$SERVER_CPU")
	pin_gen=(taskset -c "$GEN_CPU")
else
	say "note: fewer than 2 cores or no taskset: server and generator not pinned"
fi

# ---------------------------------------------------------------- generator
bench=${IRCBENCH:-}
if [ -z "$bench" ]; then
	bench=$work/ircbench
	cc -std=c11 -O2 -o "$bench" "$here/ircbench.c" -lev || { say "cannot build ircbench"; exit 1; }
fi

# ---------------------------------------------------------------- peers
peer_libdir() { echo "$PEERS_DIR/root/usr/lib/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)"; }

# Unpack PKG (and any library it needs that is not on this machine).
fetch_peer() {
	local pkg=$1 bin=$PEERS_DIR/root/usr/sbin/$1
	command -v apt-get >/dev/null || { say "skip $pkg: no apt-get here"; return 1; }
	mkdir -p "$PEERS_DIR/deb" "$PEERS_DIR/root"
	if [ ! -x "$bin" ]; then
		( cd "$PEERS_DIR/deb" && apt-get download "$pkg" >/dev/null 2>&1 ) ||
		{ apt-get update >/dev/null 2>&1; ( cd "$PEERS_DIR/deb" && apt-get download "$pkg" >/dev/null 2>&1 ); } ||
		{ say "skip $pkg: apt-get download failed"; return 1; }
		dpkg -x "$PEERS_DIR"/deb/"${pkg}"_*.deb "$PEERS_DIR/root" || { say "skip $pkg: dpkg -x failed"; return 1; }
	fi
	[ -x "$bin" ] || { say "skip $pkg: no $bin after unpacking"; return 1; }
	# Missing shared libraries: fetch the package's not-installed lib*
	# dependencies (ngIRCd needs libident, which is usually absent).
	if LD_LIBRARY_PATH=$(peer_libdir) ldd "$bin" | grep -q 'not found'; then
		local dep
		for dep in $(apt-cache depends "$pkg" 2>/dev/null | awk '$1=="Depends:" && $2 ~ /^lib/ {print $2}' | sort -u); do
			dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q 'install ok installed' && continue
			ls "$PEERS_DIR"/deb/"${dep}"_*.deb >/dev/null 2>&1 ||
				( cd "$PEERS_DIR/deb" && apt-get download "$dep" >/dev/null 2>&1 ) || continue
			dpkg -x "$PEERS_DIR"/deb/"${dep}"_*.deb "$PEERS_DIR/root"
		done
		if LD_LIBRARY_PATH=$(peer_libdir) ldd "$bin" | grep 'not found' >&2; then
			say "skip $pkg: shared libraries still missing"
			return 1
		fi
	fi
	return 0
}

# ---------------------------------------------------------------- configs
write_config() { # server port -> prints config path
	local s=$1 port=$2 f
	case $s in
	ircmini)
		f=$work/ircmini-$port.ini
		cat >"$f" <<EOF
[server]
name = bench.ircmini
state_directory = $work
[listen]
address = 127.0.0.1:$port
[limits]
max_clients = 20000
max_per_ip = 1000000
throttle_connects = 1000000
flood_burst = 0
join_rate = 0
channel_rate = 0
nick_rate = 0
sendq = 16777216
EOF
		;;
	ngircd)
		f=$work/ngircd-$port.conf
		cat >"$f" <<EOF
[Global]
Name = bench.ngircd
Info = ircbench peer
AdminInfo1 = ircbench
AdminInfo2 = loopback
AdminEMail = bench@localhost
Listen = 127.0.0.1
Ports = $port
MotdPhrase = bench
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxPenaltyTime = 0
PingTimeout = 120
PongTimeout = 60
[Options]
DNS = no
Ident = no
PAM = no
OperCanUseMode = yes
[Operator]
Name = bench
Password = bench
EOF
		;;
	inspircd)
		f=$work/inspircd-$port.conf
		cat >"$f" <<EOF
<server name="bench.inspircd" description="ircbench peer" network="bench">
<admin name="ircbench" nick="bench" email="bench@localhost">
<bind address="127.0.0.1" port="$port" type="clients">
<connect name="bench" allow="*" timeout="60" pingfreq="120"
         threshold="1000000" commandrate="1000000000" fakelag="no"
         softsendq="16777216" hardsendq="16777216" recvq="16777216"
         localmax="100000" globalmax="100000" limit="100000" maxconnwarn="no"
         maxchans="100" resolvehostnames="no">
<performance softlimit="20000" somaxconn="4096" clonesonconnect="no" quietbursts="yes">
<channels users="100" opers="100">
<path configdir="$work" datadir="$work" logdir="$work" moduledir="$PEERS_DIR/root/usr/lib/inspircd/modules">
<dns server="127.0.0.1" timeout="1">
<security hideserver="" userstats="Pu" maxtargets="20">
EOF
		;;
	esac
	echo "$f"
}

start_server() { # server port -> sets spid
	local s=$1 port=$2 cfg log=/dev/null
	[ "$LOGS" = 1 ] && log=$work/$1-$2.log
	cfg=$(write_config "$s" "$port")
	case $s in
	ircmini)  "${pin_srv[@]}" "$IRCMINI" -c "$cfg" >"$log" 2>&1 & ;;
	ngircd)   LD_LIBRARY_PATH=$(peer_libdir) "${pin_srv[@]}" "$PEERS_DIR/root/usr/sbin/ngircd" -n -f "$cfg" >"$log" 2>&1 & ;;
	inspircd) "${pin_srv[@]}" "$PEERS_DIR/root/usr/sbin/inspircd" --config="$cfg" --nofork --nopid --runasroot >"$log" 2>&1 & ;;
	esac
	spid=$!
	for _ in $(seq 1 100); do
		if ss -Hltn "sport = :$port" 2>/dev/null | grep -q LISTEN; then
			sleep 0.2   # let it finish start-up after listen()
			return 0
		fi
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	say "$s did not start on port $port (LOGS=1 KEEP=1 keeps its output)"
	[ "$LOGS" = 1 ] && tail -5 "$log" >&2
	stop_server
	return 1
}

stop_server() {
	[ -n "${spid:-}" ] || return 0
	kill "$spid" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	spid=
}

extra_args() { # per-server generator options that only affect set-up
	case $1 in
	ngircd)   echo "--setup-conc 8" ;;  # its listen backlog is 10
	inspircd) echo "--setup-conc 1000" ;;  # registrations complete once a second
	*)        echo "--setup-conc 256" ;;
	esac
}

scenario_cmd() {
	case $1 in
	fanout)   echo "fanout $FANOUT_ARGS" ;;
	channels) echo "channels $CHANNELS_ARGS" ;;
	connect)  echo "connect $CONNECT_ARGS" ;;
	burst)    echo "connect $BURST_ARGS" ;;
	churn)    echo "churn $CHURN_ARGS" ;;
	*) return 1 ;;
	esac
}

# ---------------------------------------------------------------- which servers
avail=()
for s in $SERVERS; do
	case $s in
	ircmini)
		# Snapshot the binary: a rebuild during the run must not change
		# (or remove) the server under test half-way.
		if [ -x "$IRCMINI" ] && cp "$IRCMINI" "$work/ircmini"; then
			ircmini_id="$(sha256sum "$work/ircmini" | cut -c1-12)"
			ircmini_rev=$(git -C "$(dirname "$IRCMINI")" describe --always --dirty 2>/dev/null || echo unknown)
			IRCMINI=$work/ircmini
			avail+=(ircmini)
		else
			say "skip ircmini: $IRCMINI not found or not executable"
		fi ;;
	ngircd|inspircd)
		fetch_peer "$s" && avail+=("$s") ;;
	*) say "unknown server $s" ;;
	esac
done
[ ${#avail[@]} -gt 0 ] || { say "no server to run"; exit 1; }
say "servers: ${avail[*]}; scenarios: $SCENARIOS; rounds: $ROUNDS"
say "generator: $bench; server cpu $SERVER_CPU, generator cpu $GEN_CPU"

# ---------------------------------------------------------------- run
# Anything else running on a 2-core box shows up in the numbers: record it.
load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)
port=$PORT_BASE
n=${#avail[@]}
for r in $(seq 1 "$ROUNDS"); do
	for sc in $SCENARIOS; do
		cmd=$(scenario_cmd "$sc") || { say "unknown scenario $sc"; continue; }
		for k in $(seq 0 $((n - 1))); do
			s=${avail[$(((k + r - 1) % n))]}
			port=$((port + 1))
			start_server "$s" "$port" || { echo "ircbench scenario=$sc label=$s round=$r ok=0 start_failed=1" >>"$results"; continue; }
			# shellcheck disable=SC2086,SC2046  # word splitting of the argument lists is intended
			line=$(timeout 300 "${pin_gen[@]}" "$bench" $cmd $(extra_args "$s") \
				--port "$port" --pid "$spid" --label "$s" 2>"$work/gen-$sc-$s-$r.txt")
			say "round $r, $sc, $s:"
			sed 's/^/    /' "$work/gen-$sc-$s-$r.txt" >&2
			kill -0 "$spid" 2>/dev/null || say "    $s died during $sc"
			stop_server
			echo "${line:-ircbench scenario=$sc label=$s ok=0 no_output=1} round=$r" | sed "s/ scenario=connect / scenario=$sc /" >>"$results"
		done
	done
done

# ---------------------------------------------------------------- summary
# median of a key for (scenario, server) over rounds
vals() { # all values of a key for (scenario, server), sorted
	awk -v sc="$1" -v sv="$2" -v key="$3" '
	{ s=""; l=""; v="";
	  for (i = 1; i <= NF; i++) { split($i, kv, "=");
	    if (kv[1] == "scenario") s = kv[2]; else if (kv[1] == "label") l = kv[2];
	    else if (kv[1] == key) v = kv[2]; }
	  if (s == sc && l == sv && v != "" && v != "-1" && v != "-1.00" && v != "-1.000") print v }' "$results" |
	sort -g
}
med() {
	vals "$@" | awk '{ a[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
range() {
	vals "$@" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) print lo ".." hi; else print "n/a" }'
}

metrics() {
	case $1 in
	# ":r" = print the ratio ircmini/peer; counts get none
	fanout|channels) echo "deliveries_per_s:r lat_p50_ms:r lat_p99_ms:r lat_max_ms:r lost dups reordered gen_cpu_s" ;;
	connect) echo "held reg_per_s:r reg_p50_ms:r reg_p99_ms:r reg_max_ms:r rss_per_client_kib:r" ;;
	burst)   echo "held failed reg_per_s:r reg_p50_ms:r reg_p99_ms:r reg_max_ms:r tcp_p99_ms:r" ;;
	churn)   echo "cycles_per_cpu_s:r cycles_per_s:r server_cpu_s errors unfinished" ;;
	esac
}

{
	echo
	echo "ircbench compare: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r), rounds=$ROUNDS (medians)"
	[ -n "${ircmini_id:-}" ] && echo "ircmini: tree $ircmini_rev, binary sha256 $ircmini_id"
	echo "load average (1/5/15 min) at start: $load_start, at end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
	for sc in $SCENARIOS; do
		cmd=$(scenario_cmd "$sc") || continue
		echo
		echo "== $sc: ircbench $cmd"
		printf '%-20s' metric
		for s in "${avail[@]}"; do printf ' %14s' "$s"; done
		if [[ " ${avail[*]} " == *" ircmini "* ]]; then
			for s in "${avail[@]}"; do [ "$s" = ircmini ] || printf ' %16s' "ircmini/$s"; done
		fi
		echo
		for m in $(metrics "$sc"); do
			key=${m%%:*}
			printf '%-20s' "$key"
			for s in "${avail[@]}"; do printf ' %14s' "$(med "$sc" "$s" "$key")"; done
			if [[ " ${avail[*]} " == *" ircmini "* ]]; then
				a=$(med "$sc" ircmini "$key")
				for s in "${avail[@]}"; do
					[ "$s" = ircmini ] && continue
					[ "$m" = "$key" ] && { printf ' %16s' ""; continue; }
					b=$(med "$sc" "$s" "$key")
					printf ' %16s' "$(awk -v a="$a" -v b="$b" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.2fx", a / b }')"
				done
			fi
			echo
		done
		echo "  spread over rounds (min..max):"
		for m in $(metrics "$sc"); do
			[ "$m" = "${m%%:*}" ] && continue
			key=${m%%:*}
			printf '  %-18s' "$key"
			for s in "${avail[@]}"; do printf ' %s' "$s=$(range "$sc" "$s" "$key")"; done
			echo
		done
		nok=$(grep -c " scenario=$sc .* ok=0" "$results")
		[ "$nok" -gt 0 ] && echo "  ($nok run(s) not ok: see raw lines)"
	done
	echo
	echo "raw results:"
	cat "$results"
} | tee "$work/summary.txt"
[ -n "${OUT:-}" ] && cp "$work/summary.txt" "$OUT"
exit 0

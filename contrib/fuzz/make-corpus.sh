#!/bin/sh
# Regenerate the seed corpora in contrib/fuzz/corpus/{message,session}
# from the real client transcripts, plus hand-made edge cases.
#
#   contrib/fuzz/make-corpus.sh [CLIENTS_DIR]
#
# CLIENTS_DIR holds the proxy logs (default ../shared/clients next to the
# source tree). Transcript lines look like
#   10:17:38.011 +0.007 c1 C> CAP LS 302
# "C>" is what the client sent, "X>" a client line the proxy swallowed
# (still client bytes); control characters are written as \xHH.
# The session format (header byte, 0xFF separators) is described at the
# top of fuzz_session.c.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
clients=${1:-$here/../../../shared/clients}
msg="$here/corpus/message"
ses="$here/corpus/session"
mkdir -p "$msg" "$ses"

if ls "$clients"/*.log >/dev/null 2>&1; then
	# perl is in every Debian system (perl-base is essential)
	perl -e '
	use strict; use warnings;
	use Digest::SHA qw(sha1_hex);
	my ($msgdir, $sesdir, @logs) = @ARGV;
	sub put { my ($path, $data) = @_;
		open(my $f, ">:raw", $path) or die "$path: $!"; print $f $data; close $f; }
	# the peer every transcript talks to: registered and in #test first
	my $peer = chr(1) . "NICK peer1\r\nUSER peer 0 * :Peer\r\nJOIN #test\r\n";
	my %seen;
	for my $log (@logs) {
		(my $base = $log) =~ s{.*/}{};
		$base =~ s/\.log$//;
		open(my $in, "<", $log) or die "$log: $!";
		my (@chunks, %all);
		while (<$in>) {
			next unless /^\S+ \S+ c(\d+) [CX]> (.*)$/;
			my ($conn, $line) = ($1, $2);
			$line =~ s/\s+\[[^\]]*\]$//;            # proxy annotation
			$line =~ s/\\x([0-9a-fA-F]{2})/chr(hex($1))/ge;
			put("$msgdir/" . sha1_hex($line), $line) unless $seen{$line}++;
			# c1 -> slot 0, c2 (a reconnect) -> slot 2, ...; slot 1 is the peer
			my $slot = $conn == 1 ? 0 : ($conn % 2 ? 3 : 2);
			push @chunks, chr($slot) . "$line\r\n";  # op 0: write, run the loop
			$all{$slot} .= "$line\r\n";
		}
		close $in;
		next unless @chunks;
		put("$sesdir/transcript-$base", join(chr(255), $peer, @chunks));
		# the same bytes pipelined: one write per connection
		put("$sesdir/pipelined-$base",
		    join(chr(255), $peer, map { chr($_) . $all{$_} } sort keys %all));
	}
	' "$msg" "$ses" "$clients"/*.log
else
	echo "make-corpus.sh: no transcripts in $clients; hand-made seeds only" >&2
fi

# ---- hand-made message seeds (one line each, no CRLF)
m() { printf "$2" > "$msg/edge-$1"; }
m empty ''
m spaces '     '
m tags-only '@a=b;c'
m prefix-only ':nick!user@host'
m tags-prefix-cmd '@time=2024-01-01T00:00:00Z;+draft/x=\\s :n!u@h PRIVMSG #c :hi there'
m fifteen 'CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 :18 19'
m fourteen-trailing 'CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 :x y'
m empty-trailing 'TOPIC #c :'
m colon-trailing 'PRIVMSG #c ::-) hi'
m cr-inside 'PRIVMSG #c :a\rb'
m lf-inside 'PRIVMSG #c :a\nQUIT :b'
m nul-inside 'PRIVMSG #c :a\000b'
m many-spaces '  :p   CMD   a    b   :  t  '
m empty-prefix ': CMD a'
m at-command '@t @cmd x'
m colon-command ':p :cmd x'
m binary '\001\002\377\376\200 \033[31m :\177'
m ctcp 'PRIVMSG x :\001ACTION waves\001'
head -c 600 /dev/zero | tr '\0' 'A' | sed 's/^/PRIVMSG #c :/' > "$msg/edge-long"

# ---- hand-made session seeds
# header byte: slot | op << 2 | flag << 5 (see fuzz_session.c); chunks
# are separated by \377. op 0 write, 4 write without running the loop,
# 5 byte by byte, 6 reconnect (flag: clean), 7 canned registration.
s() { name=$1; shift; : > "$ses/edge-$name"; first=1
	for c in "$@"; do
		[ $first = 1 ] || printf '\377' >> "$ses/edge-$name"
		first=0
		printf "$c" >> "$ses/edge-$name"
	done; }
s register '\000NICK a\r\nUSER a 0 * :A A\r\n'
s register-cap '\000CAP LS 302\r\nNICK a\r\nUSER a 0 * :A\r\nCAP REQ :multi-prefix userhost-in-names\r\nCAP END\r\n'
s channel-ops '\034JOIN #c\r\nMODE #c +ntimlks 5 key\r\n' '\035JOIN #c key\r\n' \
	'\034INVITE f1 #c\r\nMODE #c +ov f1 f1\r\nMODE #c +b *!*@10.*\r\nMODE #c b\r\n' \
	'\035JOIN #c key\r\nTOPIC #c :hello\r\nKICK #c f0 :bye\r\nNAMES #c\r\nLIST\r\n'
s messages '\034JOIN #c,#d\r\n' '\035JOIN #c\r\nPRIVMSG #c,f0,nobody,#d,x :hi\r\nNOTICE f0 :n\r\nAWAY :gone\r\n' \
	'\034PRIVMSG f1 :ping?\r\nWHOIS f1\r\nWHO #c %%tcuihsnfdlaor,42\r\nWHO * o\r\nUSERHOST f0 f1 x\r\nISON f0 f1 :f2 f0\r\n'
s oper-kill '\034OPER o pw\r\nWALLOPS :hello\r\nMODE f0 +iw-o\r\n' '\035MODE f1 +w\r\n' '\034OPER o pw\r\nKILL f1 :bye\r\nWHOWAS f1\r\nLUSERS\r\n'
s nick-changes '\034JOIN #c\r\n' '\035JOIN #c\r\nNICK newnick\r\nNICK f0\r\nNICK [a]\r\n' '\034NICK {A}\r\nWHOWAS f0 1\r\n'
s quit-mid '\034JOIN #c\r\n' '\035JOIN #c\r\nQUIT :bye\r\nPRIVMSG #c :after quit\r\n' '\071NICK back\r\nUSER b 0 * :b\r\n'
s reconnect-clean '\034JOIN #c\r\nLIST\r\n' '\070NICK x\r\nUSER x 0 * :x\r\n' '\030NICK y\r\n'
s partial-lines '\000NI' '\000CK a\r' '\000\nUSER a 0 * :A\r\n' '\024PI' '\000NG :x\n'
s bytewise '\024NICK a\r\nUSER a 0 * :A\r\nPING :bytes\r\n'
s coalesce '\020NICK a\r\n' '\020USER a 0 * :A\r\n' '\000PING x\r\n'
s cr-nul-inject '\034JOIN #c\r\n' '\035JOIN #c\r\nPRIVMSG #c :a\rb\000c\r\nTOPIC #c :x\ry\r\nPART #c :p\rq\r\n'
s tags-lines '\034@a=b;c :spoof!x@y PRIVMSG f0 :tagged\r\n@@@ \r\n@x\r\n:onlyprefix\r\n'
s fifteen-params '\034MODE f0 + + + + + + + + + + + + + + + + +\r\nUSERHOST a b c d e f g h i j k l m n o p\r\nJOIN #a,#b,#c,#d,#e,#f x,y,z\r\n'
s empty-things '\034PRIVMSG\r\nPRIVMSG f0\r\nPRIVMSG f0 :\r\nJOIN :\r\nNICK :\r\nTOPIC\r\nKICK #x\r\nMODE :\r\nCAP\r\n: \r\n   \r\n\r\n'
long=$(head -c 700 /dev/zero | tr '\0' 'x')
tlong=$(head -c 9000 /dev/zero | tr '\0' 't')
s long-lines "\\034PRIVMSG f0 :$long\\r\\nPING ok\\r\\n" "\\034@$tlong PING x\\r\\nPING after\\r\\n" "\\034@a=$long PING tagged-long-ok\\r\\n"
s long-partial "\\034PRIVMSG f0 :$long" "\\034$long" '\034\r\nPING after\r\n'
s binary '\000\001\002\003\377\034\200\201 \033 :\177\r\n\000\000\r\n'
# IRCv3: \074/\075 register slot 0/1 after requesting every capability
s ircv3-tags '\074JOIN #c\r\n' '\075JOIN #c\r\n@+typing=active;+draft/reply=x\\sy TAGMSG #c\r\n@+a=b PRIVMSG f0,#c :tagged\r\n' \
	'\074@label=L1 PRIVMSG #c :hi\r\n@label=L2 WHOIS f1\r\n@label=L3 PONG x\r\n@label=L4;+x=y NAMES #c\r\nSETNAME :new real name\r\nAWAY :away now\r\n'
s ircv3-invite '\074JOIN #c\r\nMODE #c +i\r\n' '\075NICK g1\r\n' '\034INVITE g1 #c\r\n@label=inv INVITE g1 #c\r\n' '\075JOIN #c\r\nAWAY\r\nQUIT :done\r\n'

echo "corpus: $(ls "$msg" | wc -l) message seeds, $(ls "$ses" | wc -l) session seeds"

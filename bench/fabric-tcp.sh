#!/bin/sh
# fabric-tcp.sh - guest-to-guest TCP (iperf3, SECONDS each) between two UML
# guests, two ways in one run: through umlab's fabric (a 2-port switch,
# bench/fabric-bench host; the guests' NICs are vec0:transport=bess on its
# ports, as in a lab) and over a bare ptp:// link (eth0=vde on both, each
# relayed by linux.uml's vde_plug helper).  Prints both, the ratio, and how
# often the guests printed uml_net_start_xmit: failed(-1) (frames refused
# by a full socket).
#
# usage: fabric-tcp.sh [SECONDS] [REPS]   (defaults: 4, 3; medians printed)
set -eu

secs=${1:-4}
reps=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
fb=${FABRIC_BENCH:-${top_builddir:-$here/..}/bench/fabric-bench}
uml=${UMLAB_KERNEL:-/usr/bin/linux.uml}
[ -x "$fb" ] || { echo "fabric-tcp.sh: no binary at $fb (set FABRIC_BENCH)" >&2; exit 1; }
[ -x "$uml" ] || { echo "fabric-tcp.sh: SKIP: no $uml (user-mode-linux)"; exit 0; }
command -v iperf3 >/dev/null || { echo "fabric-tcp.sh: SKIP: iperf3 missing (apt-get install iperf3)"; exit 0; }

tmp=$(mktemp -d /tmp/fabric-tcp.XXXXXX)
hostpid=
cleanup() {
	[ -n "$hostpid" ] && kill "$hostpid" 2>/dev/null || :
	pkill -KILL -f "uml_dir=$tmp/" 2>/dev/null || :
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

cat > "$tmp/srv.sh" <<'EOS'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t tmpfs tmpfs /tmp
ip link set vec0 name eth0 2>/dev/null
ip link set lo up; ip addr add 10.9.0.2/24 dev eth0; ip link set eth0 up
iperf3 -s -1 >/dev/null 2>&1
poweroff -f
EOS
cat > "$tmp/cli.sh" <<EOS
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t tmpfs tmpfs /tmp
ip link set vec0 name eth0 2>/dev/null
ip link set lo up; ip addr add 10.9.0.1/24 dev eth0; ip link set eth0 up
i=0
while [ \$i -lt 100 ]; do
	iperf3 -c 10.9.0.2 -t $secs -f m > /tmp/out 2>&1 && break
	i=\$((i+1)); sleep 0.1
done
grep receiver /tmp/out | sed 's/^/IPERF /'
poweroff -f
EOS
chmod 755 "$tmp/srv.sh" "$tmp/cli.sh"
opts="mem=96M rootfstype=hostfs rootflags=/ ro quiet pty.legacy_count=0 con0=null,fd:1 con=null ssl=null
initcall_blacklist=raid6_select_algo,calibrate_xor_blocks,strp_dev_init,init_zswap"

wait_for() {	# wait_for TEST...: up to 30 s
	i=0
	until "$@"; do
		i=$((i + 1)); [ $i -lt 600 ] || { echo "fabric-tcp.sh: timed out: $*" >&2; exit 1; }
		sleep 0.05
	done
}

# nic URL: the guest's NIC on the kernel command line; bess://PATH is a
# stream port of the fabric (UML's vector driver, no vde_plug helper)
nic() {
	case $1 in
	bess://*) echo "vec0:transport=bess,dst=${1#bess://}" ;;
	*) echo "eth0=vde,$1" ;;
	esac
}

# run SERVER_URL CLIENT_URL TAG: prints "Mbit/s failures"
run() {
	mkdir -p "$tmp/$3"
	# shellcheck disable=SC2086
	timeout 60 "$uml" $opts umid=s uml_dir="$tmp/$3/" init="$tmp/srv.sh" "$(nic "$1")" \
		> "$tmp/$3/srv.out" 2>&1 &
	spid=$!
	case $1 in ptp://*) wait_for test -S "${1#ptp://}" ;; esac
	# shellcheck disable=SC2086
	timeout 60 "$uml" $opts umid=c uml_dir="$tmp/$3/" init="$tmp/cli.sh" "$(nic "$2")" \
		> "$tmp/$3/cli.out" 2>&1 || :
	wait "$spid" || :
	mb=$(awk '/^IPERF/ { for (i = 1; i < NF; i++) if ($(i + 1) == "Mbits/sec") print $i }' "$tmp/$3/cli.out")
	fails=$(grep -c "failed(-1)" "$tmp/$3/cli.out" "$tmp/$3/srv.out" | awk -F: '{ s += $2 } END { print s }')
	echo "${mb:-0} $fails"
}

median() {
	tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'
}

fabs= ptps= ffail= pfail=
rep=0
while [ $rep -lt "$reps" ]; do
	rep=$((rep + 1))
	rm -rf "$tmp/fab"; mkdir -p "$tmp/fab"
	"$fb" host "$tmp/fab" > "$tmp/host.out" 2> "$tmp/host.log" &
	hostpid=$!
	wait_for grep -q ready "$tmp/host.out"
	set -- $(run "bess://$tmp/fab/b" "bess://$tmp/fab/a" "f$rep") 0 0
	fabs="$fabs $1"; ffail="$ffail $2"
	kill "$hostpid"; wait "$hostpid" || :; hostpid=
	set -- $(run "ptp://$tmp/ptp$rep" "ptp://$tmp/ptp$rep" "p$rep") 0 0
	ptps="$ptps $1"; pfail="$pfail $2"
done
fab=$(echo "$fabs" | median) ptp=$(echo "$ptps" | median)
awk -v f="$fab" -v p="$ptp" -v r="$reps" -v ff="$(echo "$ffail" | median)" -v pf="$(echo "$pfail" | median)" 'BEGIN {
	printf "guest TCP, median of %d: fabric %6.0f Mbit/s  ptp %6.0f Mbit/s  fabric/ptp %.2f  " \
	    "(failed(-1) lines: fabric %d, ptp %d)\n", r, f, p, (p > 0 ? f / p : 0), ff, pf }'
echo "      runs: fabric$fabs; ptp$ptps"

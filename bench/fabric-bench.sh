#!/bin/sh
# fabric-bench.sh - frames/s between two libvdeplug plugs, four ways in one
# run: through umlab's fabric (a 2-port switch) with umlab:// plugs (its
# own plugin, libvdeplug_umlab.so: shared-memory rings), through the same
# fabric with plugs that connect as a guest's vector driver does and speak
# through libvdeplug's seqpacket plugin, through vde_switch (vde:// plugs),
# and over a bare ptp:// link.  Prints each figure and the fabric's ratios.
#
# usage: fabric-bench.sh [SECONDS] [SIZES] [REPS]   (defaults: 3, "64 1500", 3)
# Each size runs the three setups in turn REPS times and prints the medians:
# interleaving keeps a noisy machine from favouring one setup.
# FABRIC_BENCH names the fabric-bench binary (default: $top_builddir/bench/,
# as `make bench` sets it, else next to this script).
set -eu

secs=${1:-3}
sizes=${2:-"64 1500"}
reps=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
fb=${FABRIC_BENCH:-${top_builddir:-$here/..}/bench/fabric-bench}
[ -x "$fb" ] || { echo "fabric-bench.sh: no binary at $fb (set FABRIC_BENCH)" >&2; exit 1; }
plugdir=${top_builddir:-$here/..}/netsim
[ -f "$plugdir/libvdeplug_umlab.so" ] || { echo "fabric-bench.sh: no $plugdir/libvdeplug_umlab.so" >&2; exit 1; }
sysplug=$(dirname "$(${CC:-cc} -print-file-name=libvdeplug.so)")/vdeplug
[ -d "$sysplug" ] || sysplug=/usr/lib/x86_64-linux-gnu/vdeplug
# libvdeplug looks only in VDEPLUGIN_PATH when it is set
VDEPLUGIN_PATH=$plugdir:$sysplug
export VDEPLUGIN_PATH
command -v vde_switch >/dev/null || { echo "fabric-bench.sh: vde_switch missing (package vde2)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/fabric-bench.XXXXXX)
hostpid= vdepid=
cleanup() {
	[ -n "$hostpid" ] && kill "$hostpid" 2>/dev/null || :
	[ -n "$vdepid" ] && kill "$vdepid" 2>/dev/null || :
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# wait_ready FILE: the component prints "ready" once its socket exists
wait_ready() {
	i=0
	until grep -q ready "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "fabric-bench.sh: $1 never ready" >&2; exit 1; }
		sleep 0.05
	done
}

# measure RECV_URL SEND_URL SIZE: prints frames/s at the receiver
measure() {
	rm -f "$tmp/recv.out"
	"$fb" recv "$1" "$secs" >"$tmp/recv.out" &
	rpid=$!
	wait_ready "$tmp/recv.out"
	"$fb" send "$2" "$3" "$((secs + 2))" 2>>"$tmp/send.log" &
	spid=$!
	wait "$rpid"
	# stop the sender now so that frames after the count are not dropped
	kill "$spid" 2>/dev/null || :
	wait "$spid" 2>/dev/null || :
	awk '/frames\/s/ { print $2 }' "$tmp/recv.out"
}

# through_fabric SCHEME SIZE: frames/s between two SCHEME:// plugs on a
# fresh 2-port fabric, into $tmp/rate (not a subshell: the EXIT trap must
# know the host's pid); its counters land in host.log
through_fabric() {
	rm -rf "$tmp/fab"; mkdir -p "$tmp/fab"
	rm -f "$tmp/host.out"
	"$fb" host "$tmp/fab" >"$tmp/host.out" 2>"$tmp/host.log" &
	hostpid=$!
	wait_ready "$tmp/host.out"
	measure "$1://$tmp/fab/b" "$1://$tmp/fab/a" "$2" >"$tmp/rate"
	kill "$hostpid"; wait "$hostpid" || :; hostpid=
}

median() {
	tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'
}

for size in $sizes; do
	shms= fabs= vdes= ptps= drops=
	rep=0
	while [ $rep -lt "$reps" ]; do
		rep=$((rep + 1))

		# umlab's fabric, umlab:// plugs
		through_fabric umlab "$size"
		shms="$shms $(cat "$tmp/rate")"
		# umlab's fabric: the plugs connect to its ports as guests do
		through_fabric bess "$size"
		fabs="$fabs $(cat "$tmp/rate")"
		drops="$drops $(awk '/port b:/ { d = $NF; t = $(NF - 2) } END { printf "%.0f", (d + t) ? 100 * d / (d + t) : 0 }' "$tmp/host.log")"

		# vde_switch
		vde_switch -s "$tmp/sw" -d -p "$tmp/sw.pid" >/dev/null 2>&1
		i=0
		until [ -s "$tmp/sw.pid" ] && [ -S "$tmp/sw/ctl" ]; do
			i=$((i + 1)); [ $i -lt 100 ] || { echo "fabric-bench.sh: vde_switch did not start" >&2; exit 1; }
			sleep 0.05
		done
		vdepid=$(cat "$tmp/sw.pid")
		vdes="$vdes $(measure "vde://$tmp/sw" "vde://$tmp/sw" "$size")"
		kill "$vdepid"
		while kill -0 "$vdepid" 2>/dev/null; do sleep 0.05; done
		vdepid=
		rm -rf "$tmp/sw" "$tmp/sw.pid"

		# bare ptp: the receiver opens first and binds the path
		ptps="$ptps $(measure "ptp://$tmp/p" "ptp://$tmp/p" "$size")"
	done
	shm=$(echo "$shms" | median) fab=$(echo "$fabs" | median)
	vde=$(echo "$vdes" | median) ptp=$(echo "$ptps" | median)
	drop=$(echo "$drops" | median)
	awk -v s="$size" -v m="$shm" -v f="$fab" -v v="$vde" -v p="$ptp" -v d="$drop" -v r="$reps" 'BEGIN {
		printf "%5d-byte frames, median of %d: fabric umlab:// %8.0f/s  fabric seqpacket %8.0f/s  " \
		    "vde_switch %8.0f/s  ptp %8.0f/s\n", s, r, m, f, v, p
		printf "      fabric umlab://: /vde_switch %.2f  /ptp %.2f   " \
		    "fabric seqpacket: /vde_switch %.2f  /ptp %.2f  (dropped %d%% at egress)\n",
		    (v > 0 ? m / v : 0), (p > 0 ? m / p : 0), (v > 0 ? f / v : 0), (p > 0 ? f / p : 0), d }'
	echo "      runs: umlab://$shms; seqpacket$fabs; vde_switch$vdes; ptp$ptps"
done

#!/bin/sh
# node-scale: many nodes on this machine, beside raw linux.uml boots
# measured in the same run (DESIGN.md, Performance targets).
#  1. 100 raw `linux.uml` boots to init, all started at once (peer);
#  2. a 100-node lab: time until every node is ready (target <= 10 s);
#     PSS an idle node, each kernel's shared address space counted once
#     (bench/pss.py; target <= 24 MiB);
#  3. 250 idle nodes (mem=48M; 40M sometimes panics "deadlocked on memory" at boot) alive at once.
# Env: N (100), NIDLE (250), RUNS (3: medians of the timed figures).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
N=${N:-100}; NIDLE=${NIDLE:-250}; RUNS=${RUNS:-3}
KERNEL=/usr/bin/linux.uml
[ -x $KERNEL ] || { echo "SKIP: no $KERNEL"; exit 0; }
export UMLAB_INIT="$top_builddir/umlab-init"
B=$(mktemp -d /tmp/umlab-bench.XXXXXX); chmod 711 "$B"
export XDG_RUNTIME_DIR="$B/run"; mkdir -p "$XDG_RUNTIME_DIR"
trap 'pkill -KILL -f "uml_dir=$B/" 2>/dev/null; rm -rf "$B"' EXIT
FAST="quiet initcall_blacklist=raid6_select_algo,calibrate_xor_blocks,strp_dev_init,init_zswap pty.legacy_count=0"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

raw_boots() {  # raw_boots COUNT: wall seconds until every raw guest reached init (and ended)
	mkdir -p "$B/raw"
	s=$(date +%s.%N)
	i=0
	while [ $i -lt "$1" ]; do
		TMPDIR=/dev/shm setsid $KERNEL mem=48M umid=r$i uml_dir=$B/raw rootfstype=hostfs rootflags=/ ro \
			init=/bin/true $FAST con=null ssl=null con0=fd:0,fd:1 </dev/null >/dev/null 2>&1 &
		i=$((i+1))
	done
	wait
	e=$(date +%s.%N)
	pkill -KILL -f "uml_dir=$B/raw" 2>/dev/null
	echo "$e - $s" | bc
}

lab() {  # lab NAME COUNT MEM: a scenario with COUNT nodes on one switch
	{
		echo "lab{name=\"$1\"}"
		echo 'local s = switch("s")'
		echo "for i = 1, $2 do"
		echo "  link(node(\"n\" .. i, {mem=$3}), s, string.format(\"10.%d.%d.%d/8\", i // 65536, (i // 256) % 256, i % 256))"
		echo "end"
		echo 'start()'
		echo 'print("LAB IS READY") io.stdout:flush()'
		echo 'sleep(600)'
	} > "$B/$1.lua"
}

run_lab() {  # run_lab NAME: start it, wait until ready; sets LABPID and T_READY
	out="$B/$1.out"; : > "$out"
	"$top_builddir/umlab" run --force -o "$B/out-$1" "$B/$1.lua" > "$out" 2>&1 &
	LABPID=$!
	i=0
	until grep -q "LAB IS READY" "$out"; do
		i=$((i+1)); [ $i -gt 3000 ] && { echo "lab $1 did not come up:" >&2; cat "$out" >&2; return 1; }
		kill -0 $LABPID 2>/dev/null || { cat "$out" >&2; return 1; }
		sleep 0.1
	done
	T_READY=$(sed -n 's/^umlab: \([0-9]*\) nodes ready in \([0-9.]*\) s.*/\2/p' "$out")
}

stop_lab() { kill -TERM $LABPID; wait $LABPID 2>/dev/null; }

lab big "$N" 48
raw=""; ready=""
r=0
while [ $r -lt "$RUNS" ]; do
	raw="$raw $(raw_boots "$N")"
	run_lab big || exit 1
	ready="$ready $T_READY"
	if [ $r -eq 0 ]; then
		sleep 3   # idle
		set -- $(python3 "$top_srcdir/bench/pss.py" "$XDG_RUNTIME_DIR/umlab")
		echo "idle $N-node lab: $1 guests, $2 processes, $3 address spaces, PSS $4 MiB total, $5 MiB a node (target <= 24)"
	fi
	stop_lab
	r=$((r+1))
done
rawm=$(echo $raw | tr ' ' '\n' | median)
readym=$(echo $ready | tr ' ' '\n' | median)
echo "$N raw linux.uml boots to init at once: median $rawm s (runs:$raw)"
echo "$N-node lab, all ready:                  median $readym s (runs:$ready; target <= 10 s)"
echo "ratio lab ready / raw boots: $(echo "scale=2; $readym / $rawm" | bc)"

lab idle "$NIDLE" 48
run_lab idle || exit 1
t=$T_READY
sleep 3
set -- $(python3 "$top_srcdir/bench/pss.py" "$XDG_RUNTIME_DIR/umlab")
echo "$NIDLE idle nodes (mem=48M): all ready in $t s; alive: $1 guests; PSS $4 MiB total, $5 MiB a node"
free -m | sed -n 2p
stop_lab
exit 0

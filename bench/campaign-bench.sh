#!/bin/sh
# campaign-bench.sh - campaign throughput on a 2-node ping lab (labs/two-hosts):
# N runs with --jobs 1 and --jobs 2, beside the peer measured in the same
# run: single `umlab run`s of the same lab one after another.  Prints
# runs/hour and the ratios (campaign per run / single run; the target is
# >= 1,000 runs an hour).  Also times --no-capture, and a guest-less
# scenario, which is the campaign's own overhead per run.
#
# usage: campaign-bench.sh [RUNS]   (default 40)
set -eu

runs=${1:-40}
here=$(cd "$(dirname "$0")" && pwd)
top=${top_srcdir:-$here/..}
umlab=${top_builddir:-$top}/umlab
lab=$top/labs/two-hosts
[ -x "$umlab" ] || { echo "campaign-bench.sh: no umlab at $umlab" >&2; exit 1; }
[ -x /usr/bin/linux.uml ] || { echo "campaign-bench.sh: linux.uml missing" >&2; exit 1; }
[ -n "${UMLAB_INIT:-}" ] || { [ -x "${top_builddir:-$top}/umlab-init" ] &&
	export UMLAB_INIT="${top_builddir:-$top}/umlab-init"; } || :

tmp=$(mktemp -d /tmp/campaign-bench.XXXXXX)
chmod 711 "$tmp"	# as root, guests run as another uid and walk down to their folders
trap 'rm -rf "$tmp"' EXIT INT TERM
export XDG_RUNTIME_DIR="$tmp/run"
mkdir -p "$XDG_RUNTIME_DIR"

now() { date +%s.%N; }
# campaign NAME ARGS...: prints seconds for $runs runs
campaign() {
	name=$1; shift
	t0=$(now)
	"$umlab" campaign --runs "$runs" --seed 1 -o "$tmp/$name" "$@" > "$tmp/$name.out" 2>&1 ||
		{ echo "campaign-bench.sh: campaign $name failed:" >&2; cat "$tmp/$name.out" >&2; exit 1; }
	t1=$(now)
	ok=$(awk -F, 'NR > 1 && $(NF-3) == "passed"' "$tmp/$name/results.csv" | wc -l)
	[ "$ok" -eq "$runs" ] || echo "  (note: $name: $ok of $runs runs passed)" >&2
	echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }'
}

# The peer: single runs one after another (median of 5).
singles=""
for i in 1 2 3 4 5; do
	t0=$(now)
	"$umlab" run --quiet --seed "$i" -o "$tmp/single$i" "$lab" > /dev/null 2>&1
	t1=$(now)
	singles="$singles $(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')"
done
single=$(echo $singles | tr ' ' '\n' | sort -n | sed -n 3p)

j1=$(campaign j1 --jobs 1 "$lab")
j2=$(campaign j2 --jobs 2 "$lab")
j2n=$(campaign j2n --jobs 2 --no-capture "$lab")
cat > "$tmp/nothing.lua" <<'LUA'
check("nothing", true)
LUA
j1e=$(campaign empty --jobs 1 "$tmp/nothing.lua")
t0=$(now)
"$umlab" run --quiet -o "$tmp/nothing" "$tmp/nothing.lua" > /dev/null 2>&1
t1=$(now)
empty1=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')
# Per-run time inside the runs (report.json's duration_s), campaign j1.
inrun=$(awk -F, 'NR > 1 { s += $(NF-1); n++ } END { printf "%.3f", s / n }' "$tmp/j1/results.csv")

echo "campaign of labs/two-hosts, $runs runs, $(nproc) CPUs; single umlab run (median of 5): ${single} s"
printf "%-34s %8s %10s %10s\n" "" "wall s" "runs/hour" "s/run"
for row in "--jobs 1:$j1" "--jobs 2:$j2" "--jobs 2 --no-capture:$j2n" "guest-less scenario, --jobs 1:$j1e"; do
	label=${row%%:*}; t=${row#*:}
	echo "$label $t $runs" | awk -v l="$label" '{ n = $NF; t = $(NF-1);
		printf "%-34s %8.1f %10.0f %10.3f\n", l, t, n * 3600 / t, t / n }'
done
echo "$j1 $j2 $single $runs $inrun $j1e $empty1" | awk '{ j1 = $1 / $4; j2 = $2 / $4;
	printf "ratios: --jobs 1 per run / single run = %.2f; --jobs 2 speed-up over --jobs 1 = %.2fx\n",
		j1 / $3, $1 / $2;
	printf "a --jobs 1 run: %.3f s inside the scenario (boot, pings, power-off: duration_s), " \
		"%.3f s around it (teardown, pcap, report, topology SVG)\n", $5, j1 - $5;
	printf "fixed cost of a guest-less run: %.3f s in a campaign, %.3f s alone " \
		"(the campaign adds about %.0f ms a run)\n", $6 / $4, $7, ($6 / $4 - $7) * 1000 }'
echo "$j2 $runs" | awk '{ r = $2 * 3600 / $1; v = "NOT met"; if (r >= 1000) v = "met";
	printf "target >= 1000 runs/hour at --jobs 2: %s (%.0f)\n", v, r }'

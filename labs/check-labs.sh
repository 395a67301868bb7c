#!/bin/sh
# check-labs.sh UMLAB LABSDIR OUTDIR: run every LABSDIR/*/scenario.lua
# headless with `umlab run -q -o OUTDIR/NAME`, print a table (lab, result,
# seconds) and exit 1 when any lab failed.
umlab=$1 labs=$2 out=$3
mkdir -p "$out"

for s in "$labs"/*/scenario.lua; do
	d=$(dirname "$s"); name=$(basename "$d")
	rm -rf "${out:?}/$name"
	t0=$(date +%s.%N)
	"$umlab" run -q -o "$out/$name" "$d" > "$out/$name.log" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	if [ $rc -eq 0 ]; then res=pass; else res="FAIL (exit $rc, see $out/$name.log)"; fi
	printf '%-16s %-6s %s\n' "$name" "$secs" "$res"
done | tee "$out/summary.txt" | { printf '%-16s %-6s %s\n' lab seconds result; cat; }
! grep -q FAIL "$out/summary.txt"

#!/bin/sh
# Impairments on real guests: delay and loss as ping sees them, changed
# while the lab runs, link down/up, counters and seeds in report.json.
. "$(dirname "$0")/lib.sh"

out=$T/out
UMLAB_SEED=1 "$UMLAB" run -o "$out" "$SCEN/net-impair.lua" > "$T/stdout" 2> "$T/stderr"
rc=$?
cat "$T/stdout" "$T/stderr"
expect_eq "the impairment lab exits 0" 0 "$rc"
expect "report.json has per-reason drops" grep -q '"link_down":' "$out/report.json"
expect "report.json has each direction's seed" grep -q '"seed": "0x' "$out/report.json"
expect "no guest kernel is left" wait_for 2 no_guests
finish

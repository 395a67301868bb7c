#!/bin/sh
# A single node stops, starts, restarts, reboots, halts, freezes and
# thaws while the rest of the lab runs (tests/e2e/scenarios/life.lua).
. "$(dirname "$0")/lib.sh"
"$UMLAB" run -o "$T/out" "$SCEN/life.lua" > "$T/life.out" 2>&1
rc=$?
cat "$T/life.out"
expect_eq "the life scenario passes" 0 "$rc"
grep FIGURE "$T/life.out"
expect "no guest is left" wait_for 5 no_guests
finish

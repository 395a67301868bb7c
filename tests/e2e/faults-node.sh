#!/bin/sh
# Node faults on real guests: memory bit flips seen in the guest, crash and
# panic seen as crashed nodes, every fault logged; bad faults are errors.
. "$(dirname "$0")/lib.sh"

"$UMLAB" run --seed 7 -o "$T/out" "$SCEN/faults-node.lua" > "$T/out.txt" 2>&1
rc=$?
cat "$T/out.txt"
expect_eq "the fault scenario passes" 0 "$rc"
expect "report.json logs the memflip" grep -q '"kind": "memflip"' "$T/out/report.json"
expect "report.json records b crashed" sh -c "grep -A3 '\"name\": \"b\"' '$T/out/report.json' | grep -q crashed"

"$UMLAB" run -o "$T/bad" "$SCEN/faults-bad.lua" > "$T/bad.txt" 2>&1
expect_eq "a fault that cannot be injected fails the run" 1 "$?"
expect "it says why" grep -q "no_such_symbol_here not in the guest" "$T/bad.txt"

"$UMLAB" run -o "$T/typo" "$SCEN/faults-typo.lua" > "$T/typo.txt" 2>&1
expect_eq "a fault on an unknown node is a scenario error" 2 "$?"
expect "it names the node and the line" grep -q "faults-typo.lua:5: fault crash: no running node named 'zz'" "$T/typo.txt"
expect "no guest is left" wait_for 2 no_guests
finish

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
"$UMLAB" run -o "$T/fz" "$SCEN/faults-freeze.lua" > "$T/fz.txt" 2>&1
rc=$?
cat "$T/fz.txt"
expect_eq "freeze, slow-down and a register flip pass" 0 "$rc"
expect "the freeze is logged with its thaw" grep -q '"phase": "clear"' "$T/fz/report.json"

"$UMLAB" run -o "$T/net" "$SCEN/faults-net.lua" > "$T/net.txt" 2>&1
rc=$?
cat "$T/net.txt"
expect_eq "link down, isolation and a delay burst behave" 0 "$rc"

"$UMLAB" run -o "$T/part" "$SCEN/faults-partition.lua" > "$T/part.txt" 2>&1
rc=$?
cat "$T/part.txt"
expect_eq "partitions (both ways, one way, across a trunk) behave and heal" 0 "$rc"
expect "report.json counts partition drops" grep -q '"partition": [1-9]' "$T/part/report.json"

"$UMLAB" run -o "$T/disk" "$SCEN/faults-disk.lua" > "$T/disk.txt" 2>&1
rc=$?
cat "$T/disk.txt"
expect_eq "disk faults (both, write, read) give I/O errors in the guest and clear" 0 "$rc"

# Same seed, same schedule: faults.log is byte-identical; --replay checks it.
"$UMLAB" run -q --seed 99 -o "$T/s1" "$SCEN/faults-seeded.lua"
expect_eq "seeded faults run 1 passes" 0 "$?"
"$UMLAB" run -q --seed 99 -o "$T/s2" "$SCEN/faults-seeded.lua"
expect_eq "seeded faults run 2 passes" 0 "$?"
expect "the two fault logs are byte-identical" cmp "$T/s1/faults.log" "$T/s2/faults.log"
expect "the log holds seven injections" sh -c "[ \$(grep -c ' inject ' '$T/s1/faults.log') -eq 7 ]"
"$UMLAB" run -q --seed 100 -o "$T/s3" "$SCEN/faults-seeded.lua"
expect "another seed gives another schedule" sh -c "! cmp -s '$T/s1/faults.log' '$T/s3/faults.log'"
"$UMLAB" run --replay "$T/s1" -o "$T/r1" > "$T/r1.txt" 2>&1
expect_eq "--replay of a recorded run passes" 0 "$?"
expect "--replay says the schedule matches" grep -q "the fault schedule matches" "$T/r1.txt"
sed -i '2s/ inject / failed /' "$T/s1/faults.log"
"$UMLAB" run --replay "$T/s1" -o "$T/r2" > "$T/r2.txt" 2>&1
expect_eq "--replay against a different schedule fails" 1 "$?"
expect "and names the line" grep -q "differs from .* at line 2" "$T/r2.txt"
"$UMLAB" run --replay "$T/nothing-here" > "$T/r3.txt" 2>&1
expect_eq "--replay of an unreadable log exits 2" 2 "$?"
expect "no guest is left" wait_for 2 no_guests
finish

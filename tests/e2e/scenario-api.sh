#!/bin/sh
# The scenario API on real guests, TAP output and junit.xml.
. "$(dirname "$0")/lib.sh"

"$UMLAB" run --tap --seed 1234 -D greeting=hello -D answer=42 -o "$T/out" "$SCEN/api.lua" > "$T/tap" 2> "$T/err"
rc=$?
cat "$T/tap" "$T/err"
expect_eq "the API scenario passes" 0 "$rc"
expect "TAP has a plan" grep -q "^1\.\.11$" "$T/tap"
expect "TAP has no failure" sh -c "! grep -q '^not ok' '$T/tap'"
expect "TAP names a check" grep -q "^ok 1 - task 1 ping$" "$T/tap"
expect "the seed is in the report" grep -q '"seed": 1234' "$T/out/report.json"
expect "the command line is in the report" grep -q '"command_line": ".*umlab run --tap --seed 1234' "$T/out/report.json"
expect "junit.xml has 11 test cases" sh -c "[ \$(grep -c '<testcase' '$T/out/junit.xml') -eq 11 ]"
expect "junit.xml has no failure" sh -c "! grep -q '<failure' '$T/out/junit.xml'"

"$UMLAB" run --tap -o "$T/fail" "$SCEN/failing-check.lua" > "$T/tapfail" 2>&1
expect_eq "a failing run exits 1 under --tap too" 1 "$?"
expect "TAP marks it not ok" grep -q "^not ok 2 - this address is unreachable" "$T/tapfail"
expect "junit.xml records the failure" grep -q "<failure" "$T/fail/junit.xml"
# a lab without nodes: start() returns (it once resumed the running coroutine)
printf 'lab { name = "empty" }\nswitch("s")\nstart()\ncheck("start returned", true)\n' > "$T/empty.lua"
"$UMLAB" run -o "$T/empty" "$T/empty.lua" > "$T/empty.out" 2>&1
expect_eq "a lab without nodes starts and passes" 0 "$?"
expect "its check ran after start()" grep -q "PASS  start returned" "$T/empty.out"
expect "no guest is left" wait_for 2 no_guests
finish

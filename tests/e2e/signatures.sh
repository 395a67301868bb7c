#!/bin/sh
# umlab test: record a lab's signatures, compare them again (pass), change
# the lab (fail, showing the difference).
. "$(dirname "$0")/lib.sh"

L=$T/lab
mkdir -p "$L/_test"
cat > "$L/scenario.lua" <<'LUA'
local s = switch("s")
link(node("h1"), s, param("h1", "10.4.0.1/24"))
link(node("h2"), s, "10.4.0.2/24")
LUA
printf 'hostname\nping -c1 -W2 10.4.0.2 >/dev/null && echo reaches h2\n' > "$L/_test/h1.test"

"$UMLAB" test --record -o "$T/rec" "$L" > "$T/rec.txt" 2>&1
expect_eq "test --record exits 0" 0 "$?"
expect "h1's default signature is saved" grep -q "10.4.0.1/24" "$L/_test/signature/h1.default"
expect "h1's user test output is saved" grep -q "reaches h2" "$L/_test/signature/h1.user"
expect "h2 has no user signature (no h2.test)" test ! -e "$L/_test/signature/h2.user"

"$UMLAB" test --tap -o "$T/same" "$L" > "$T/same.txt" 2>&1
rc=$?
cat "$T/same.txt"
expect_eq "test of the unchanged lab exits 0" 0 "$rc"
expect "three signatures match" sh -c "[ \$(grep -c '^ok .* matches its signature' '$T/same.txt') -eq 3 ]"

sed -i 's#"10.4.0.1/24"#"10.4.0.9/24"#' "$L/scenario.lua"
"$UMLAB" test -o "$T/diff" "$L" > "$T/diff.txt" 2>&1
expect_eq "test of a changed lab exits 1" 1 "$?"
expect "the difference is named" grep -q "FAIL  h1.default matches its signature" "$T/diff.txt"
expect "both texts are shown" grep -q "10.4.0.9/24" "$T/diff.txt"
expect "no guest is left" wait_for 2 no_guests
finish

#!/bin/sh
# Issue 6 acceptance: the same static-routing lab written once as a Lua
# scenario (labs/static-routing) and once as a Kathará folder
# (labs/static-routing/kathara) gives the same topology and results.
. "$(dirname "$0")/lib.sh"

command -v traceroute > /dev/null || skip "traceroute is not installed (apt-get install traceroute)"
lua=$top_srcdir/labs/static-routing
"$UMLAB" run -o "$T/lua" "$lua" > "$T/lua.out" 2>&1
expect_eq "the Lua lab passes" 0 "$?"
"$UMLAB" run -o "$T/kat" "$lua/kathara" > "$T/kat.out" 2>&1
expect_eq "the Kathará lab passes" 0 "$?"
cat "$T/lua.out" "$T/kat.out"
links() { grep -o '"link": "[^"]*"' "$1/report.json" | sort -u; }
expect "both have 8 links" sh -c "[ \$(grep -o '\"link\": \"[^\"]*\"' '$T/lua/report.json' | sort -u | wc -l) -eq 8 ]"
expect_eq "same nodes, interfaces and collision domains" "$(links "$T/lua")" "$(links "$T/kat")"

# Same results: start both, compare routing tables and the path h1 -> h2.
cp -a "$lua" "$T/l"
"$UMLAB" start -o "$T/lua2" "$T/l" > "$T/s1.out" 2>&1
expect_eq "the Lua lab starts" 0 "$?"
"$UMLAB" start -o "$T/kat2" "$T/l/kathara" > "$T/s2.out" 2>&1
expect_eq "the Kathará lab starts" 0 "$?"
routes() {  # routes LAB NODE: the IPv4 table without proto/metric details
	"$UMLAB" exec "$1" "$2" -- ip -4 route | sed 's/ proto [a-z]*//; s/ metric [0-9]*//; s/ *$//' | sort
}
for n in h1 r1 r2 r3 h2; do
	a=$(routes "$T/l" $n); b=$(routes "$T/l/kathara" $n)
	expect "$n has routes" test -n "$a"
	expect_eq "$n has the same routing table in both" "$a" "$b"
done
path() {  # the hop addresses of a traceroute from h1 to h2
	"$UMLAB" exec "$1" h1 -- traceroute -n -q 1 -w 2 -m 8 10.0.2.1 | awk 'NR>1 {print $2}' | tr '\n' ' '
}
expect_eq "Lua lab: h1 -> h2 goes r1, r2, r3" "10.0.1.254 10.0.12.2 10.0.23.2 10.0.2.1 " "$(path "$T/l")"
expect_eq "Kathará lab: the same path" "10.0.1.254 10.0.12.2 10.0.23.2 10.0.2.1 " "$(path "$T/l/kathara")"
"$UMLAB" stop "$T/l" > /dev/null 2>&1
"$UMLAB" stop "$T/l/kathara" > /dev/null 2>&1

expect "no guest kernel is left" wait_for 5 no_guests
expect "no runtime folder is left" no_rundirs
finish

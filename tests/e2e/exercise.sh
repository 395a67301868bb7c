#!/bin/sh
# Issue 10: exercise mode.  For labs/static-routing and labs/bgp:
# `umlab start --exercise` leaves the solution to the student, `umlab check`
# fails (exit 1, naming the failing checks); the solution typed through
# `umlab exec` makes `umlab check` pass (exit 0); `umlab stop` leaves no guest.
. "$(dirname "$0")/lib.sh"

command -v traceroute > /dev/null || skip "traceroute is not installed (apt-get install traceroute)"
command -v vtysh > /dev/null || skip "FRR is not installed (apt-get install frr)"

# static-routing: the routes are the student's.
sr=$T/static-routing
cp -a "$top_srcdir/labs/static-routing" "$sr"
"$UMLAB" start --exercise -o "$T/sr" "$sr" > "$T/sr-start.out" 2>&1
expect_eq "static-routing starts in exercise mode" 0 "$?"
"$UMLAB" check --wait 2 "$sr" > "$T/sr-check1.out" 2>&1
expect_eq "static-routing: umlab check fails before the work (exit 1)" 1 "$?"
cat "$T/sr-check1.out"
expect "static-routing: the failing checks are named" \
	grep -q "FAIL  r2's routing table has 10.0.1.0/24 via 10.0.12.1" "$T/sr-check1.out"
expect "static-routing: h1 pings h2 is named as failing" grep -q "FAIL  h1 pings h2" "$T/sr-check1.out"
expect "static-routing: the given parts pass" grep -q "PASS  h1's routing table has default" "$T/sr-check1.out"
x() { n=$1; shift; "$UMLAB" exec "$sr" "$n" -- "$@"; }
x r1 ip route add 10.0.23.0/30 via 10.0.12.2 &&
x r1 ip route add 10.0.2.0/24 via 10.0.12.2 &&
x r2 ip route add 10.0.1.0/24 via 10.0.12.1 &&
x r2 ip route add 10.0.2.0/24 via 10.0.23.2 &&
x r3 ip route add 10.0.12.0/30 via 10.0.23.1 &&
x r3 ip route add 10.0.1.0/24 via 10.0.23.1
expect_eq "static-routing: the student's routes are added" 0 "$?"
"$UMLAB" check --tap "$sr" > "$T/sr-check2.out" 2>&1
expect_eq "static-routing: umlab check passes after the work (exit 0)" 0 "$?"
cat "$T/sr-check2.out"
expect "static-routing: TAP plan of 11 checks, none failing" \
	sh -c "grep -qx '1..11' '$T/sr-check2.out' && ! grep -q '^not ok' '$T/sr-check2.out'"
"$UMLAB" stop "$sr" > /dev/null 2>&1
expect_eq "static-routing stops" 0 "$?"

# bgp: the prefix filter on r2 is the student's.
bgp=$T/bgp
cp -a "$top_srcdir/labs/bgp" "$bgp"
"$UMLAB" start --exercise -o "$T/bgp-out" "$bgp" > "$T/bgp-start.out" 2>&1
expect_eq "bgp starts in exercise mode" 0 "$?"
# The sessions and routes come up on their own (the checks wait for them).
"$UMLAB" check --wait 30 "$bgp" > "$T/bgp-check1.out" 2>&1
expect_eq "bgp: umlab check fails before the work (exit 1)" 1 "$?"
cat "$T/bgp-check1.out"
expect "bgp: the filter checks are named as failing" \
	sh -c "grep -q 'FAIL  r2 dropped 10.1.1.0/24' '$T/bgp-check1.out' &&
	       grep -q 'FAIL  10.1.1.1 is unreachable from AS65003' '$T/bgp-check1.out'"
expect "bgp: the sessions pass" grep -q "PASS  r2's session with 172.16.12.1 is Established" "$T/bgp-check1.out"
"$UMLAB" exec "$bgp" r2 -- vtysh -c 'configure terminal' \
	-c 'ip prefix-list FROM-AS65001 seq 5 deny 10.1.1.0/24' \
	-c 'ip prefix-list FROM-AS65001 seq 10 permit 10.1.0.0/16 le 24' \
	-c 'route-map R1-IN permit 10' -c 'match ip address prefix-list FROM-AS65001' &&
"$UMLAB" exec "$bgp" r2 -- vtysh -c 'clear bgp ipv4 unicast 172.16.12.1 soft in'
expect_eq "bgp: the student's filter is configured" 0 "$?"
"$UMLAB" check --wait 30 "$bgp" > "$T/bgp-check2.out" 2>&1
expect_eq "bgp: umlab check passes after the work (exit 0)" 0 "$?"
cat "$T/bgp-check2.out"
"$UMLAB" stop "$bgp" > /dev/null 2>&1
expect_eq "bgp stops" 0 "$?"

"$UMLAB" check "$bgp" > /dev/null 2>&1
expect_eq "umlab check of a lab that is not running: exit 2" 2 "$?"
expect "no guest kernel is left" wait_for 10 no_guests
expect "no runtime folder is left" no_rundirs
finish

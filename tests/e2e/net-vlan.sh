#!/bin/sh
# VLANs on real guests: access ports and an 802.1Q trunk between two
# switches; then a ring of three switches whose loop the fabric breaks.
. "$(dirname "$0")/lib.sh"

"$UMLAB" run -o "$T/vlan" "$SCEN/net-vlan.lua" > "$T/vlan.out" 2>&1
rc=$?
cat "$T/vlan.out"
expect_eq "the VLAN lab exits 0" 0 "$rc"

"$UMLAB" run -o "$T/loop" "$SCEN/net-loop.lua" > "$T/loop.out" 2>&1
rc=$?
cat "$T/loop.out"
expect_eq "the ring lab exits 0" 0 "$rc"
expect "the loop is reported, naming switch and port" \
	grep -q "netsim: switch s[123]: broadcast loop: .* port s[123]=s[123] blocked" "$T/loop.out"
expect "no guest kernel is left" wait_for 2 no_guests
finish

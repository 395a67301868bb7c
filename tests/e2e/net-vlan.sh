#!/bin/sh
# VLANs on real guests: access ports and an 802.1Q trunk between two
# switches; then a ring of three switches whose loop the fabric breaks.
. "$(dirname "$0")/lib.sh"

"$UMLAB" run -o "$T/vlan" "$SCEN/net-vlan.lua" > "$T/vlan.out" 2>&1
rc=$?
cat "$T/vlan.out"
expect_eq "the VLAN lab exits 0" 0 "$rc"
expect "r's trunk carried frames tagged with VLAN 10 and with VLAN 20" sh -c "
	[ \"\$('$PCAP_COUNT' '$T/vlan/pcap/r.eth0-s1.pcapng' 'vlan 10 and icmp')\" -ge 6 ] &&
	[ \"\$('$PCAP_COUNT' '$T/vlan/pcap/r.eth0-s1.pcapng' 'vlan 20 and icmp')\" -ge 6 ]"
expect "report.json says which links are access ports and which a trunk" \
	python3 -c "import json,sys
l = {x['name']: x for x in json.load(open('$T/vlan/report.json'))['links']}
sys.exit(0 if l['a10.eth0-s1']['vlan'] == 10 and l['r.eth0-s1']['trunk_vlans'] == [10, 20]
         and 'vlan' not in l['r.eth0-s1'] else 1)"
expect "the topology labels r's cable as a trunk" grep -q "trunk 10,20" "$T/vlan/topology.svg"

"$UMLAB" run -o "$T/loop" "$SCEN/net-loop.lua" > "$T/loop.out" 2>&1
rc=$?
cat "$T/loop.out"
expect_eq "the ring lab exits 0" 0 "$rc"
expect "the loop is reported, naming switch and port" \
	grep -q "netsim: switch s[123]: broadcast loop: .* port s[123]=s[123] blocked" "$T/loop.out"
expect "no guest kernel is left" wait_for 2 no_guests
finish

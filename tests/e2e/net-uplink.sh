#!/bin/sh
# Uplinks on real guests: two switches of a lab joined only through a
# vde_switch outside it; a URL that cannot be opened stops the lab before
# any guest boots, with an error that names the uplink and the URL.
. "$(dirname "$0")/lib.sh"
command -v vde_switch >/dev/null || skip "vde_switch is not installed (apt-get install vde2)"

vde_switch -s "$T/outside" -d -p "$T/outside.pid" >/dev/null 2>&1
wait_for 5 test -S "$T/outside/ctl"
trap 'kill "$(cat "$T/outside.pid")" 2>/dev/null; cleanup' EXIT

"$UMLAB" run -o "$T/up" -D outside="$T/outside" "$SCEN/net-uplink.lua" > "$T/up.out" 2>&1
rc=$?
cat "$T/up.out"
expect_eq "the uplink lab exits 0" 0 "$rc"
expect "report.json counts frames out of and into s1.up0" \
	python3 -c "import json,sys
u = {x['name']: x for x in json.load(open('$T/up/report.json'))['uplinks']}
sys.exit(0 if u['s1.up0']['frames_out'] >= 3 and u['s1.up0']['frames_in'] >= 3 else 1)"
# frames sent out (a's echo requests) and taken in (b's replies) alike
expect "the uplink's capture holds a's echo requests going out" \
	sh -c "[ \"\$('$PCAP_COUNT' '$T/up/pcap/s1.up0.pcapng' 'icmp[icmptype] == icmp-echo')\" -ge 3 ]"
expect "and b's replies coming in" \
	sh -c "[ \"\$('$PCAP_COUNT' '$T/up/pcap/s1.up0.pcapng' 'icmp[icmptype] == icmp-echoreply')\" -ge 3 ]"
expect "the topology shows the uplink and its URL" grep -q "vde://.*/outside<" "$T/up/topology.svg"

"$UMLAB" run -o "$T/bad" -D outside="$T/nowhere" "$SCEN/net-uplink.lua" > "$T/bad.out" 2>&1
rc=$?
cat "$T/bad.out"
expect_eq "an uplink that cannot open is an environment error (3)" 3 "$rc"
expect "the error names the uplink and the URL" \
	grep -q "uplink s1.up0: cannot open vde://$T/nowhere: " "$T/bad.out"
expect "no guest kernel is left" wait_for 2 no_guests
finish

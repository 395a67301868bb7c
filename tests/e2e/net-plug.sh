#!/bin/sh
# Plugs on real guests: two switches of a lab joined only on the host, by
# a vde_plug between a plug of each (umlab:// URLs, libvdeplug_umlab.so).
# `umlab status` shows the plugs with their URLs and frames; report.json
# counts them too.
. "$(dirname "$0")/lib.sh"
command -v vde_plug >/dev/null || skip "vde_plug is not installed (apt-get install vdeplug)"
PLUGIN="$top_builddir/netsim/libvdeplug_umlab.so"
[ -e "$PLUGIN" ] || skip "$PLUGIN is not built: no umlab:// for vde_plug"
LAB="$SCEN/net-plug.lua"
cd "$T" || exit 1
trap 'kill "$(cat "$T/out/vde_plug.pid" 2>/dev/null)" 2>/dev/null; cleanup' EXIT

# without VDEPLUGIN_PATH: umlab sets it for the vde_plug the scenario starts
env -u VDEPLUGIN_PATH "$UMLAB" start -o "$T/out" "$LAB" > start.out 2>&1
expect_eq "the plug lab starts" 0 "$?"
"$UMLAB" status "$LAB" > status.out 2>&1
cat status.out
expect "status lists s1.plug0 on s1 with its URL" \
	grep -Eq "^ +s1\.plug0 +s1 +[0-9]+ +[0-9]+ +[0-9]+  umlab:///.*/net/s1\.plug0$" status.out
expect "status says how a host program finds the plugin" \
	grep -q "a host program takes a plug with: VDEPLUGIN_PATH=.*/netsim:" status.out
expect "status counts the frames vde_plug brought in" \
	awk '$1 == "s2.plug0" && $3 >= 3 { f = 1 } END { exit !f }' status.out
vde=$(cat "$T/out/vde_plug.pid")
"$UMLAB" stop "$LAB" > stop.out 2>&1
expect_eq "stop exits 0" 0 "$?"
cat "$T/out/vde_plug.log"
# the plug's ctlfd is its connection: vde_plug sees it hang up and ends
expect "vde_plug ends by itself when the lab stops" wait_for 3 sh -c "! kill -0 $vde 2>/dev/null"
kill "$vde" 2>/dev/null
expect "the scenario's checks passed" grep -q '"verdict": "passed"' "$T/out/report.json"
expect "report.json counts frames into and out of both plugs" \
	python3 -c "import json,sys
p = {x['name']: x for x in json.load(open('$T/out/report.json'))['plugs']}
sys.exit(0 if all(p[n]['frames_in'] >= 3 and p[n]['frames_out'] >= 3 and
                  p[n]['url'].endswith('/net/' + n) for n in ('s1.plug0', 's2.plug0')) else 1)"
expect "the plug's capture holds the echo requests vde_plug brought to b" \
	sh -c "[ \"\$('$PCAP_COUNT' '$T/out/pcap/s2.plug0.pcapng' 'icmp[icmptype] == icmp-echo and dst host 10.0.0.2')\" -ge 3 ]"
expect "the topology draws the plugs as host programs" grep -q ">host program<" "$T/out/topology.svg"
expect "no guest is left" wait_for 2 no_guests
expect "no runtime folder is left" wait_for 2 no_rundirs
finish

#!/bin/sh
# The default lab end to end: real guests, real frames, real captures.
. "$(dirname "$0")/lib.sh"

out=$T/out
"$UMLAB" run -o "$out" "$top_srcdir/labs/two-hosts" > "$T/stdout" 2> "$T/stderr"
rc=$?
cat "$T/stdout" "$T/stderr"
expect_eq "the default lab exits 0" 0 "$rc"
expect "the summary says passed" grep -q "5 checks passed, 0 failed; passed" "$T/stdout"
expect "report.json says passed" grep -q '"verdict": "passed"' "$out/report.json"
expect "report.json has both nodes ready" sh -c "[ \$(grep -c '\"state\": \"ready\"\|\"state\": \"stopped\"' '$out/report.json') -ge 2 ]"

pa=$out/pcap/a.eth0-s1.pcapng
pb=$out/pcap/b.eth0-s1.pcapng
expect "a's link was captured" test -s "$pa"
expect "b's link was captured" test -s "$pb"
req=$("$PCAP_COUNT" "$pa" "icmp[icmptype] == icmp-echo and src host 10.0.0.1 and dst host 10.0.0.2")
rep=$("$PCAP_COUNT" "$pa" "icmp[icmptype] == icmp-echoreply and src host 10.0.0.2 and dst host 10.0.0.1")
expect "a's pcap holds a's echo requests to b (got $req)" test "$req" -ge 3
expect "a's pcap holds b's echo replies to a (got $rep)" test "$rep" -ge 3
req=$("$PCAP_COUNT" "$pb" "icmp[icmptype] == icmp-echo and src host 10.0.0.2 and dst host 10.0.0.1")
expect "b's pcap holds b's echo requests to a (got $req)" test "$req" -ge 3
arp=$("$PCAP_COUNT" "$pa" "arp")
expect "ARP went over the wire (got $arp)" test "$arp" -ge 2
# pcapng: which way each frame went, by interface (0: from the node,
# 1: to it) and by epb_flags (1: inbound, 2: outbound); when tshark is here
if command -v tshark > /dev/null; then
	tshark -r "$pa" -T fields -e frame.interface_id -e frame.packet_flags_direction \
	    -e ip.src -e icmp.type -Y icmp > "$T/dirs" 2> "$T/tshark.err"
	expect "tshark reads a's pcapng without complaint" sh -c "! grep -v 'Running as user' '$T/tshark.err' | grep -q ."
	req=$(awk '$1 == 0 && $2 == "0x00000001" && $3 == "10.0.0.1" && $4 == 8' "$T/dirs" | wc -l)
	rep=$(awk '$1 == 1 && $2 == "0x00000002" && $3 == "10.0.0.2" && $4 == 0' "$T/dirs" | wc -l)
	bad=$(awk '!($1 == 0 && $2 == "0x00000001" && $3 == "10.0.0.1") && !($1 == 1 && $2 == "0x00000002" && $3 == "10.0.0.2")' "$T/dirs" | wc -l)
	expect "a's echo requests are from the node, inbound (got $req)" test "$req" -ge 3
	expect "b's echo replies are to the node, outbound (got $rep)" test "$rep" -ge 3
	expect "a's frames are from a, b's to a (wrong: $bad)" test "$bad" -eq 0
fi

expect "the SVG is an SVG" grep -q "<svg" "$out/topology.svg"
expect "the SVG names node a" grep -q ">a<" "$out/topology.svg"
expect "the SVG names node b" grep -q ">b<" "$out/topology.svg"
expect "the SVG names switch s1" grep -q ">s1<" "$out/topology.svg"
expect "a's console log exists" test -s "$out/console/a.log"

expect "no guest kernel is left" wait_for 2 no_guests
expect "no runtime folder is left" no_rundirs
finish

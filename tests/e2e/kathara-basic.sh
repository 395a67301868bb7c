#!/bin/sh
# A Kathará lab folder of our own, run with `umlab run DIR`: every device
# boots, collision domains become switches, MACs and addresses are kept.
# Addresses come from the DEV.startup files, run in the guests as Kathará
# does; a started copy of the lab shows they work: h1 reaches h2 via r1.
. "$(dirname "$0")/lib.sh"

lab=$top_srcdir/tests/data/labconf/basic
out=$T/out
"$UMLAB" run -o "$out" "$lab" > "$T/stdout" 2> "$T/stderr"
rc=$?
cat "$T/stdout" "$T/stderr"
if grep -q "install them first" "$T/stderr"; then
	skip "packages missing on this host: $(tail -1 "$T/stderr")"
fi
expect_eq "the lab exits 0" 0 "$rc"
expect "every device booted" grep -q "PASS  every device booted (3 of 3; 0 not started)" "$T/stdout"
expect "every device ran its startup files" sh -c "[ \$(grep -c 'PASS  .* ran its startup files' '$T/stdout') -eq 3 ]"
expect "report.json says passed" grep -q '"verdict": "passed"' "$out/report.json"
for n in h1 r1 h2; do
	expect "$n is in the report" grep -q "\"name\": \"$n\"" "$out/report.json"
	expect "$n's startup plan was written" test -x "$out/kathara/$n.startup.sh"
	expect "$n's console log exists" test -s "$out/console/$n.log"
done
expect "h1 keeps its MAC from lab.conf" grep -q '"mac": "02:00:00:00:01:01"' "$out/report.json"
expect "r1's eth1 is on collision domain lan2" grep -q '"link": "r1.eth1-lan2"' "$out/report.json"
expect "each link was captured" test -f "$out/pcap/r1.eth1-lan2.pcapng"
expect "the plan runs r1.startup with set -x" grep -q -- "-x /run/umlab-kathara/startup > /var/log/startup.log" \
	"$out/kathara/r1.startup.sh"
expect "the plan carries r1.startup itself" grep -q "ip address add 10.0.1.254/24 dev eth0" "$out/kathara/r1.startup.sh"

# The startup files really ran: addresses, routes, shared/, r1's folder.
cp -a "$lab" "$T/lab"
"$UMLAB" start -o "$T/out3" "$T/lab" > "$T/start.out" 2>&1
expect_eq "the lab starts in the background" 0 "$?"
expect "h1 has its address from h1.startup" sh -c "'$UMLAB' exec '$T/lab' h1 -- ip -4 addr show eth0 | grep -q 10.0.1.1/24"
expect "h2 has its address from ifconfig/netmask" sh -c "'$UMLAB' exec '$T/lab' h2 -- ip -4 addr show eth0 | grep -q 10.0.2.1/24"
expect "h1 reaches h2 through r1" "$UMLAB" exec "$T/lab" h1 -- ping -c 2 -W 2 10.0.2.1
expect "shared.startup ran on every device" "$UMLAB" exec "$T/lab" h2 -- test -e /tmp/shared.out
expect "the end-of-startup marker exists" "$UMLAB" exec "$T/lab" r1 -- test -e /tmp/EOS
"$UMLAB" stop "$T/lab" > /dev/null 2>&1

# A malformed lab: exit 2 with file:line.
"$UMLAB" run -o "$T/out2" "$top_srcdir/tests/data/labconf/gap" > "$T/stdout2" 2> "$T/stderr2"
expect_eq "a malformed lab exits 2" 2 "$?"
expect "its error names lab.conf:2" grep -q "gap/lab.conf:2: interface 1 of r1 is missing" "$T/stderr2"

expect "no guest kernel is left" wait_for 2 no_guests
expect "no runtime folder is left" no_rundirs
finish

#!/bin/sh
# Interactive labs: start returns when ready; status, exec, stop and list
# talk to the lab's controller; a lab is never started twice; a dead
# controller's socket is detected and cleaned up.
. "$(dirname "$0")/lib.sh"

LAB=$top_srcdir/labs/two-hosts
cd "$T" || exit 1

"$UMLAB" start -o "$T/out" "$LAB" > start.out 2>&1
expect_eq "start exits 0" 0 "$?"
expect "start says where the results go" grep -q "$T/out" start.out
expect_eq "two guests run after start returns" 2 "$(guest_count)"

"$UMLAB" start "$LAB" > again.out 2>&1
expect_eq "a second start of the same lab exits 2" 2 "$?"
expect "it says the lab is already running" grep -q "already running" again.out

"$UMLAB" status "$LAB" > status.out 2>&1
expect_eq "status exits 0" 0 "$?"
expect "status shows node a ready with its address" grep -Eq "^ +a +ready .*10\.0\.0\.1/24" status.out
expect "status shows the links" grep -q "a.eth0-s1" status.out

out=$("$UMLAB" exec "$LAB" a -- ping -c 2 -i 0.2 10.0.0.2)
expect_eq "exec of a ping exits 0" 0 "$?"
expect "its output comes back" sh -c "echo '$out' | grep -q '2 received'"
"$UMLAB" exec "$LAB" b -- sh -c 'echo to-err >&2; exit 7' 2> err.out
expect_eq "exec returns the command's exit status" 7 "$?"
expect "stderr comes back on stderr" grep -q to-err err.out
"$UMLAB" exec "$LAB" nosuch -- true 2> nosuch.out
expect_eq "exec on an unknown node exits 255" 255 "$?"
expect "and names the node" grep -q "no node named 'nosuch'" nosuch.out

"$UMLAB" fault "$LAB" memflip b region=ram > fault.out 2>&1
expect_eq "fault on a running lab exits 0" 0 "$?"
"$UMLAB" fault "$LAB" explode b > fault2.out 2>&1
expect_eq "an unknown fault kind exits 2" 2 "$?"
expect "and lists the known kinds" grep -q "unknown fault kind 'explode' (known:" fault2.out
"$UMLAB" fault "$LAB" crash zz > fault3.out 2>&1
expect_eq "a fault on an unknown node exits 2" 2 "$?"

timeout 3 "$UMLAB" status -w "$LAB" > watch.out 2>&1
expect "status --watch redraws with rates" sh -c "[ \$(grep -c 'FROM NODE/s' watch.out) -ge 2 ]"

# Live capture: frames stream into a pipe while the lab runs.
"$UMLAB" capture "$LAB" a.eth0-s1 > live.pcap 2> cap.err &
cap=$!
expect "the capture stream starts with a pcap header" wait_for 10 sh -c "[ \$(stat -c %s live.pcap) -ge 24 ]"
"$UMLAB" exec "$LAB" a -- ping -c 3 -i 0.2 10.0.0.2 > /dev/null
expect "the live capture holds the pings" wait_for 10 sh -c "[ \$('$PCAP_COUNT' live.pcap icmp 2>/dev/null || echo 0) -ge 6 ]"
kill -TERM $cap; wait $cap
"$UMLAB" capture "$LAB" nosuch > nosuch.pcap 2> cap2.err
expect_eq "capture of an unknown link exits 2" 2 "$?"
expect "and names it" grep -q "no open link, plug or uplink named 'nosuch'" cap2.err
"$UMLAB" capture "$LAB" b.eth0-s1 | head -c 24 > head.pcap
expect "a reader that leaves ends the capture" test -s head.pcap

# a reboot from inside the guest: the exec that caused it ends at once,
# the node comes back on its own and its network works again
# (sysrq b is reboot -f without needing a reboot program in the root)
timeout 30 "$UMLAB" exec "$LAB" a -- sh -c 'echo b > /proc/sysrq-trigger' 2> reboot.err
expect_eq "exec of a reboot ends with 255 instead of hanging" 255 "$?"
expect "and says the node rebooted" grep -q "the node rebooted" reboot.err
expect "the node is ready again" wait_for 20 sh -c "'$UMLAB' status '$LAB' | grep -Eq '^ +a +ready '"
out=$(timeout 30 "$UMLAB" exec "$LAB" a -- ping -c 2 -i 0.2 -W 2 10.0.0.2)
expect "and pings b after its reboot" sh -c "echo '$out' | grep -q '2 received'"
"$UMLAB" list > list.out
expect "list shows the lab" grep -q "two-hosts" list.out

"$UMLAB" stop "$LAB" > stop.out 2>&1
expect_eq "stop exits 0" 0 "$?"
expect "no guest is left after stop" wait_for 2 no_guests
expect "no runtime folder is left after stop" wait_for 2 no_rundirs
expect "the stopped lab wrote its report" grep -q '"verdict": "passed"' "$T/out/report.json"
expect "the report logs the fault from the command line" grep -q '"kind": "memflip"' "$T/out/report.json"
"$UMLAB" status "$LAB" > gone.out 2>&1
expect_eq "status of a stopped lab exits 2" 2 "$?"
expect "it says the lab is not running" grep -q "not running" gone.out

# A controller that dies without cleaning up leaves a stale socket.
"$UMLAB" start -o "$T/out2" "$LAB" > start2.out 2>&1
expect_eq "start again exits 0" 0 "$?"
pid=$("$UMLAB" status "$LAB" | sed -n 's/.*controller pid \([0-9]*\).*/\1/p')
kill -KILL "$pid"
expect "the killed controller's guests are gone within 2 s" wait_for 2 no_guests
"$UMLAB" status "$LAB" > stale.out 2>&1
expect_eq "status sees no live lab behind the stale socket" 2 "$?"
"$UMLAB" start -o "$T/out3" "$LAB" > start3.out 2>&1
expect_eq "the lab starts again over the stale socket" 0 "$?"
"$UMLAB" stop "$LAB" > /dev/null 2>&1
expect "nothing is left at the end" wait_for 2 no_guests
finish

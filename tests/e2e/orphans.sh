#!/bin/sh
# No orphans: however the controller ends, no guest process and no runtime
# folder outlives it for more than 2 seconds.
. "$(dirname "$0")/lib.sh"

run_and_signal() {  # run_and_signal SIGNAL
	local sig=$1 pid
	: > "$T/$sig.out"
	"$UMLAB" run -o "$T/out-$sig" "$SCEN/long-sleep.lua" > "$T/$sig.out" 2>&1 &
	pid=$!
	if ! wait_for 60 grep -q "LAB IS READY" "$T/$sig.out"; then
		not_ok "$sig: the lab came up"; cat "$T/$sig.out"; kill -KILL $pid; return
	fi
	expect_eq "$sig: four guests run" 4 "$(guest_count)"
	kill -"$sig" $pid
	wait $pid
	echo "controller ended with status $? after SIG$sig"
	expect "$sig: no guest kernel is left within 2 s" wait_for 2 no_guests
	expect "$sig: no runtime folder is left within 2 s" wait_for 2 no_rundirs
	pgrep -f "uml_dir=$T/run/" -a | head -5
}

run_and_signal KILL
run_and_signal TERM
expect "TERM: a report is still written" test -s "$T/out-TERM/report.json"
expect "TERM: the verdict says interrupted" grep -q '"verdict": "interrupted"' "$T/out-TERM/report.json"
run_and_signal INT

# A 10-node lab, controller SIGKILLed: the reaper removes every guest.
out="$T/ten.out"
"$UMLAB" run -o "$T/out-ten" "$SCEN/ten-sleep.lua" > "$out" 2>&1 &
pid=$!
if wait_for 90 grep -q "LAB IS READY" "$out"; then
	expect_eq "10 nodes: ten guests run" 10 "$(guest_count)"
	kill -KILL $pid; wait $pid
	expect "10 nodes, SIGKILL: no guest kernel is left within 2 s" wait_for 2 no_guests
	expect "10 nodes, SIGKILL: no runtime folder is left within 2 s" wait_for 2 no_rundirs
else
	not_ok "10 nodes: the lab came up"; cat "$out"; kill -KILL $pid
fi

# Controller AND reaper SIGKILLed (the reaper has a session of its own,
# so it is killed by pid, then the whole process group of `umlab run`):
# nothing is left to clean up at once, so the next umlab start must kill
# the leftover guests and remove the stale runtime folder.
command -v setsid >/dev/null || skip "setsid is missing"
out="$T/both.out"
setsid "$UMLAB" run -o "$T/out-both" "$SCEN/ten-sleep.lua" > "$out" 2>&1 &
pid=$!
if wait_for 90 grep -q "LAB IS READY" "$out"; then
	reaper=$(pgrep -P $pid -x umlab-reaper)
	expect "the reaper is found" test -n "$reaper"
	kill -KILL $reaper
	kill -KILL -- -$pid
	wait $pid
	echo "after killing both: $(guests_left) guest processes, $(rundirs_left) runtime folders left"
	expect "the stale runtime folder records the guests' process groups" \
		sh -c "grep -c '^+' $T/run/umlab/*/pgids | grep -qx 10"
	"$UMLAB" run -o "$T/out-next" "$top_srcdir/labs/two-hosts" > "$T/next.out" 2>&1
	expect_eq "the next run passes" 0 "$?"
	expect "the next umlab start killed every leftover guest" wait_for 2 no_guests
	expect "the next umlab start removed the stale runtime folder" wait_for 2 no_rundirs
else
	not_ok "both: the lab came up"; cat "$out"; kill -KILL -- -$pid
fi
finish

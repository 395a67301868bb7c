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
finish

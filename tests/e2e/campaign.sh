#!/bin/sh
# umlab campaign: a grid of guest-less runs with known outcomes, an
# interrupted campaign resumed to completion, bad input, and a small
# campaign of real two-node runs.
. "$(dirname "$0")/lib.sh"

COIN="$SCEN/coin.lua"
lines() { [ -f "$1" ] && wc -l < "$1" | tr -d ' ' || echo 0; }
# count_outcome CSV OUTCOME: rows of results.csv with that outcome
count_outcome() { awk -F, -v o="$2" 'NR > 1 && $(NF-3) == o' "$1" | wc -l | tr -d ' '; }

# 1. 6 runs at each of 2 points, 2 at a time.
"$UMLAB" campaign --runs 6 --jobs 2 --seed 1 -D bias=0.3,0.8 -o "$T/c1" "$COIN" \
	> "$T/c1.out" 2> "$T/c1.err"
expect_eq "a campaign that ran exits 0" 0 "$?"
expect_eq "results.csv has a header and 12 rows" 13 "$(lines "$T/c1/results.csv")"
expect "results.csv names its columns" grep -qx "run,seed,bias,outcome,verdict,duration_s,error" \
	"$T/c1/results.csv"
expect_eq "6 rows at bias=0.3" 6 "$(awk -F, 'NR > 1 && $3 == "0.3"' "$T/c1/results.csv" | wc -l)"
p=$(count_outcome "$T/c1/results.csv" passed)
f=$(count_outcome "$T/c1/results.csv" check_failed)
w=$(count_outcome "$T/c1/results.csv" weird)
expect_eq "every run has one of the scenario's outcomes" 12 "$((p + f + w))"
expect "the seed gives some of each" [ "$p" -gt 0 -a "$f" -gt 0 -a "$w" -gt 0 ]
expect "the summary counts them" grep -Eq "^  all +12 +$p \(" "$T/c1.out"
expect "the summary has a row per value" grep -Eq "^  bias=0.8 +6 " "$T/c1.out"
# Same seed, same outcomes: a second campaign repeats the first.
"$UMLAB" campaign --runs 6 --jobs 2 --seed 1 -D bias=0.3,0.8 -o "$T/c1b" "$COIN" >/dev/null 2>&1
expect "results.json is valid JSON with 12 runs" python3 -c "import json,sys; \
	r = json.load(open('$T/c1/results.json')); sys.exit(len(r['runs']) != 12)"
if command -v xmllint >/dev/null; then
	expect "outcomes.svg is well-formed" xmllint --noout "$T/c1/outcomes.svg"
fi
expect "the picture shows each point" grep -q "bias=0.8" "$T/c1/outcomes.svg"
expect "index.html embeds the picture" grep -q "<svg" "$T/c1/index.html"
expect "index.html needs no network" sh -c "! grep -Eq 'src=\"http|href=\"http' '$T/c1/index.html'"
"$UMLAB" campaign --runs 6 --jobs 2 --seed 1 -D bias=0.3,0.8 -o "$T/c1" "$COIN" > "$T/c1c.out" 2>&1
expect_eq "running a finished campaign again exits 0" 0 "$?"
expect "and runs nothing" grep -q "12 runs already done, 0 to go" "$T/c1c.out"

# 2. Interrupted with runs in flight, then resumed: same totals, no run twice.
export CAMPAIGN_TRACE="$T/trace"
CAMPAIGN_GATE="$T/gate" "$UMLAB" campaign --runs 6 --jobs 2 --seed 1 -D bias=0.3,0.8 \
	-o "$T/c2" "$COIN" > "$T/c2.out" 2> "$T/c2.err" &
pid=$!
trace_has() { [ "$(lines "$T/trace")" -ge "$1" ]; }
expect "runs start" wait_for 20 trace_has 5
kill -INT $pid
expect "the campaign says it waits for the running runs" wait_for 10 grep -q "waiting for" "$T/c2.err"
touch "$T/gate"
wait $pid
expect_eq "an interrupted campaign exits 1" 1 "$?"
expect "it says how to resume" grep -q "resumes it" "$T/c2.err"
done1=$(($(lines "$T/c2/results.csv") - 1))
expect "some runs were done, not all" [ "$done1" -ge 4 -a "$done1" -lt 12 ]
"$UMLAB" campaign --runs 6 --jobs 2 -D bias=0.3,0.8 -o "$T/c2" "$COIN" > "$T/c2b.out" 2> "$T/c2b.err"
expect_eq "the resumed campaign exits 0" 0 "$?"
expect "it resumes" grep -q "resuming: $done1 runs already done" "$T/c2b.err"
expect_eq "every run was done once" 12 "$(lines "$T/trace")"
expect_eq "no run twice" 12 "$(sort -u "$T/trace" | wc -l | tr -d ' ')"
expect "the totals are those of the uninterrupted campaign" \
	[ "$(cut -d, -f1-5 "$T/c1/results.csv")" = "$(cut -d, -f1-5 "$T/c2/results.csv")" ]
unset CAMPAIGN_TRACE

# 3. SIGTERM stops the running runs; they are done again on resume.
rm -f "$T/trace" "$T/gate"
CAMPAIGN_TRACE="$T/trace" CAMPAIGN_GATE="$T/gate" "$UMLAB" campaign --runs 6 --jobs 2 \
	--seed 1 -D bias=0.3,0.8 -o "$T/c3" "$COIN" > /dev/null 2> "$T/c3.err" &
pid=$!
expect "runs start" wait_for 20 trace_has 5
kill -TERM $pid
wait $pid
expect_eq "a campaign stopped by SIGTERM exits 1" 1 "$?"
"$UMLAB" campaign --runs 6 --jobs 2 -D bias=0.3,0.8 -o "$T/c3" "$COIN" > /dev/null 2>&1
expect_eq "and resumes to completion" 0 "$?"
expect "with the same totals" \
	[ "$(cut -d, -f1-5 "$T/c1/results.csv")" = "$(cut -d, -f1-5 "$T/c3/results.csv")" ]

# 4. Bad input.
"$UMLAB" campaign --runs 6 -D bias=0.3,0.5 -o "$T/c1" "$COIN" > /dev/null 2> "$T/e1"
expect_eq "resuming with other parameters exits 2" 2 "$?"
expect "and says what differs" grep -q "bias=0.3,0.8, not -D bias=0.3,0.5" "$T/e1"
"$UMLAB" campaign --runs 2 -D bias=0.3,,1 -o "$T/c4" "$COIN" > /dev/null 2> "$T/e2"
expect_eq "a bad -D exits 2" 2 "$?"
expect "the message names the option" grep -q "bad -D 'bias=0.3,,1'" "$T/e2"
"$UMLAB" campaign -o "$T/c4" "$COIN" > /dev/null 2> "$T/e3"
expect_eq "no --runs exits 2" 2 "$?"
"$UMLAB" campaign --runs 2 -o "$T/c4" "$SCEN/syntax-error.lua" > /dev/null 2> "$T/e4"
expect_eq "a scenario with a syntax error exits 2" 2 "$?"
expect "before any run" [ ! -d "$T/c4" ]

# 5. Three real runs of the two-host lab.
"$UMLAB" campaign --runs 3 --jobs 2 --seed 1 -o "$T/c5" "$top_srcdir/labs/two-hosts" \
	> "$T/c5.out" 2>&1
expect_eq "a campaign of labs/two-hosts exits 0" 0 "$?"
expect_eq "its 3 runs passed" 3 "$(count_outcome "$T/c5/results.csv" passed)"
expect "each run left its captures" [ -f "$T/c5/runs/0002/pcap/a.eth0-s1.pcapng" ]
expect "no guest kernel is left" wait_for 5 no_guests
finish

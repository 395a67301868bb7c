#!/bin/sh
# report.html of a real run, rendered by headless Chromium from file://:
# the DOM names both nodes and every check with PASS, the console shows no
# error, and a screenshot is kept in tests/e2e/viz-report.out/ to look at.
. "$(dirname "$0")/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || skip "chromium is not installed (apt-get install chromium)"
KEEP="$top_builddir/tests/e2e/viz-report.out"
rm -rf "$KEEP"
mkdir -p "$KEEP"

chrome() {  # chrome ARGS... URL: headless, offline, a fresh profile
	"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d "$T/profile.XXXXXX")" "$@"
}

out=$T/out
"$UMLAB" run -q -o "$out" "$top_srcdir/labs/two-hosts" > "$T/run.out" 2>&1
expect_eq "the default lab passes" 0 "$?"
expect "report.html is written" test -s "$out/report.html"
expect "report.json has the command line" grep -q '"command_line": ".*umlab run -q -o ' "$out/report.json"

chrome --enable-logging=stderr --v=0 --dump-dom "file://$out/report.html" > "$T/dom.html" 2> "$T/chrome.err"
expect_eq "chromium renders the page" 0 "$?"
expect "the DOM says PASSED" grep -q '<div class="verdict">PASSED</div>' "$T/dom.html"
expect "the DOM names node a" grep -q '<td><b>a</b></td>' "$T/dom.html"
expect "the DOM names node b" grep -q '<td><b>b</b></td>' "$T/dom.html"
# Every check of report.json, each in a row with PASS.
sed -n '/"checks": \[/,$p' "$out/report.json" | sed -n 's/^      "name": "\(.*\)",$/\1/p' > "$T/checks"
expect_eq "report.json lists 5 checks" 5 "$(wc -l < "$T/checks")"
while IFS= read -r c; do
	expect "the DOM shows PASS for '$c'" grep -qF "PASS</span></td><td>$c" "$T/dom.html"
done < "$T/checks"
expect "the DOM holds the topology" grep -q 'aria-label="topology"' "$T/dom.html"
expect "the DOM holds the timeline" grep -q 'aria-label="timeline"' "$T/dom.html"
expect "the console logs are inlined" grep -q "<summary>console</summary>" "$T/dom.html"
# The page has no script: any console line (an error, a blocked load) is wrong.
if grep -E "Uncaught|:CONSOLE" "$T/chrome.err"; then
	not_ok "the page logs nothing to the console"
else
	ok "the page logs nothing to the console"
fi
# ... and that check can fail: a page with a script and a remote image logs.
sed 's|<body>|<body><script>nope()</script><img src="http://example.invalid/x.png">|' \
	"$out/report.html" > "$T/bad.html"
chrome --enable-logging=stderr --v=0 --dump-dom "file://$T/bad.html" > /dev/null 2> "$T/bad.err"
expect "a page with a script would be caught (CSP logs it)" grep -q ":CONSOLE.*Content Security Policy" "$T/bad.err"

chrome --hide-scrollbars --window-size=1280,1800 --screenshot="$KEEP/report.png" \
	"file://$out/report.html" > "$T/shot.out" 2>&1
expect "a screenshot is kept in $KEEP" test -s "$KEEP/report.png"
cp "$out/report.html" "$out/report.json" "$KEEP/"

# The page is made from report.json alone: umlab report rebuilds it.
mv "$out/report.html" "$T/first.html"
"$UMLAB" report "$out" > "$T/rep.out" 2>&1
expect_eq "umlab report DIR exits 0" 0 "$?"
expect "umlab report DIR rebuilds the same page" cmp -s "$T/first.html" "$out/report.html"
sed 's/"report_format": 1/"report_format": 7/' "$out/report.json" > "$T/r7.json"
mkdir -p "$T/future" && cp "$T/r7.json" "$T/future/report.json" && echo keep > "$T/future/report.html"
"$UMLAB" report "$T/future" > "$T/fut.out" 2>&1
expect_eq "a report of an unknown format exits 2" 2 "$?"
expect "... and says so" grep -q "report_format 7 is not one this umlab knows" "$T/fut.out"
expect_eq "... and leaves the page alone" keep "$(cat "$T/future/report.html")"

# A run that dies on the way still leaves a page that says so.
"$UMLAB" run -q -t 2 -o "$T/slow" "$SCEN/long-sleep.lua" > "$T/slow.out" 2>&1
expect_eq "a timed-out run exits 1" 1 "$?"
expect "its page says INCOMPLETE" grep -q "<b>INCOMPLETE</b>" "$T/slow/report.html"
expect "its page gives the error" grep -q "ERROR: the run took longer" "$T/slow/report.html"
"$UMLAB" run -q -o "$T/killed" "$SCEN/long-sleep.lua" > "$T/killed.out" 2>&1 &
pid=$!
wait_for 60 grep -q "LAB IS READY" "$T/killed.out"
kill -KILL $pid
wait $pid 2>/dev/null
expect "a SIGKILLed run leaves report.json marked incomplete" \
	grep -q '"verdict": "incomplete"' "$T/killed/report.json"
expect "... and a page that says INCOMPLETE" grep -q "<b>INCOMPLETE</b>" "$T/killed/report.html"
expect "no guest kernel is left" wait_for 2 no_guests
finish

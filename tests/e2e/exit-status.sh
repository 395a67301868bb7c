#!/bin/sh
# Exit statuses: 1 when a check fails, 2 for bad input, 3 for an unfit
# environment; and nothing left behind after any of them.
. "$(dirname "$0")/lib.sh"

"$UMLAB" run -o "$T/fail" "$SCEN/failing-check.lua" > "$T/fail.out" 2>&1
expect_eq "a failing check exits 1" 1 "$?"
expect "the failing check is named" grep -q "FAIL  this address is unreachable" "$T/fail.out"
expect "report.json records it" grep -q '"verdict": "failed"' "$T/fail/report.json"
expect "the passing check is recorded too" grep -q "PASS  true works" "$T/fail.out"

"$UMLAB" run -o "$T/syn" "$SCEN/syntax-error.lua" > "$T/syn.out" 2>&1
expect_eq "a syntax error exits 2" 2 "$?"
expect "the error names file:line" grep -q "syntax-error.lua:3:" "$T/syn.out"

"$UMLAB" run -o "$T/err" "$SCEN/error-after-start.lua" > "$T/err.out" 2>&1
expect_eq "a Lua error after start exits 2" 2 "$?"
expect "it names file:line" grep -q "error-after-start.lua:8:" "$T/err.out"
expect "teardown ran: the report says error" grep -q '"verdict": "error"' "$T/err/report.json"
expect "teardown ran: the check before the error is kept" grep -q '"name": "a runs"' "$T/err/report.json"
expect "teardown ran: no guest is left" wait_for 2 no_guests

"$UMLAB" run "$T/does-not-exist.lua" > "$T/miss.out" 2>&1
expect_eq "a missing file exits 2" 2 "$?"
expect "the error names the file" grep -q "does-not-exist.lua" "$T/miss.out"

"$UMLAB" run --bogus x > "$T/opt.out" 2>&1
expect_eq "an unknown option exits 2" 2 "$?"

"$UMLAB" frobnicate > "$T/cmd.out" 2>&1
expect_eq "an unknown command exits 2" 2 "$?"

"$UMLAB" run --help > "$T/help.out" 2>&1
expect_eq "run --help exits 0" 0 "$?"
expect "run --help explains the outputs" grep -q "report.json" "$T/help.out"

# An unfit environment: a guest kernel that does not exist.
UMLAB_KERNEL=/nonexistent/linux.uml "$UMLAB" run -o "$T/env" "$SCEN/failing-check.lua" > "$T/env.out" 2>&1
expect_eq "a missing guest kernel exits 3" 3 "$?"
expect "the error names the package" grep -q "user-mode-linux" "$T/env.out"

# A lab whose packages file names a missing package: exit 3 before booting.
mkdir -p "$T/pk"
printf 'local s = switch("s")\nlink(node("a"), s, "10.1.1.1/24")\nstart()\n' > "$T/pk/scenario.lua"
printf 'iproute2\nno-such-package-xyz  # a comment\n' > "$T/pk/packages"
"$UMLAB" run -o "$T/pko" "$T/pk" > "$T/pk.out" 2>&1
expect_eq "a lab with a missing package exits 3" 3 "$?"
expect "it names the apt-get line" grep -q "apt-get install no-such-package-xyz" "$T/pk.out"
expect "nothing booted" test ! -e "$T/pko/console"

"$UMLAB" doctor > "$T/doc.out" 2>&1
expect_eq "doctor on this machine exits 0" 0 "$?"
UMLAB_KERNEL=/nonexistent/linux.uml "$UMLAB" doctor > "$T/doc2.out" 2>&1
expect_eq "doctor without a guest kernel exits 3" 3 "$?"
expect "and says how to fix it" grep -q "FIX  guest kernel /nonexistent/linux.uml: apt-get install user-mode-linux" "$T/doc2.out"

if [ "$(id -u)" -eq 0 ]; then
	# as root, guests run as another uid: a runtime folder it cannot reach
	# is named before anything boots, not a guest that dies at once
	mkdir -m 700 "$T/closed"
	XDG_RUNTIME_DIR="$T/closed/run" "$UMLAB" run -o "$T/cl" "$top_srcdir/labs/two-hosts" \
		> "$T/cl.out" 2>&1
	expect_eq "a runtime folder the guests cannot reach exits 3" 3 "$?"
	expect "and names the folder in the way" grep -q "cannot enter $T/closed (mode 0700)" "$T/cl.out"
fi

expect "no guest kernel is left" wait_for 2 no_guests
expect "no runtime folder is left" no_rundirs
finish

#!/bin/sh
# umlab connect on a running lab, driven through a pty (tests/e2e/connect.py).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"

LAB=$top_srcdir/labs/two-hosts
"$UMLAB" start -o "$T/out" "$LAB" > "$T/start.out" 2>&1
expect_eq "the lab starts" 0 "$?"
python3 "$top_srcdir/tests/e2e/connect.py" "$UMLAB" "$LAB" a
expect_eq "the terminal session behaves" 0 "$?"
"$UMLAB" connect "$LAB" nosuch < /dev/null > "$T/no.out" 2>&1
expect_eq "connect to an unknown node exits 255" 255 "$?"
expect "and names it" grep -q "no node named 'nosuch'" "$T/no.out"
"$UMLAB" stop "$LAB" > /dev/null 2>&1
expect "no guest is left" wait_for 2 no_guests
finish

#!/bin/sh
# umlab needs no root: the demo lab passes when run as a plain user
# (nobody, through setpriv, when the test runs as root; as is otherwise).
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || skip "setpriv is missing (util-linux)"
	as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups --reset-env -- \
		env XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" UMLAB_INIT="$UMLAB_INIT" "$@"; }
	# The build tree must be readable by that user.
	as_user test -x "$UMLAB" || skip "nobody cannot run $UMLAB (build outside a private folder)"
	mkdir -p "$T/run/u" "$T/out-u" && chown 65534:65534 "$T/run/u" "$T/out-u"
	chmod 711 "$T/run"
	XDG_RUNTIME_DIR="$T/run/u"
else
	as_user() { "$@"; }
	mkdir -p "$T/out-u"
fi
as_user "$UMLAB" run -o "$T/out-u/demo" "$top_srcdir/labs/two-hosts" > "$T/u.out" 2>&1
rc=$?
cat "$T/u.out"
expect_eq "the demo lab passes as uid $(as_user id -u)" 0 "$rc"
expect "its report says passed" grep -q '"verdict": "passed"' "$T/out-u/demo/report.json"
expect "no guest is left" wait_for 5 no_guests
finish

# lib.sh - shared by the end-to-end tests (sourced).  They boot real guests.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
UMLAB="$top_builddir/umlab"
PCAP_COUNT="$top_builddir/tests/e2e/pcap-count"
SCEN="$top_srcdir/tests/e2e/scenarios"
T=$(mktemp -d /tmp/umlab-e2e.XXXXXX)
# Run as root, umlab runs guests as an unprivileged uid: it must be able
# to walk down to its node folder (not list: 0711).
chmod 711 "$T"
FAILS=0
TESTNO=0
# On the way out, whatever happened: labs started with `umlab start` keep
# running by design, so stop their controllers (the pid file of each
# runtime folder), then kill any guest left.
cleanup() {
	for p in "$T"/run/umlab/*/pid; do
		[ -f "$p" ] && kill -TERM "$(cat "$p")" 2>/dev/null
	done
	pkill -KILL -f "uml_dir=$T/run/" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# Automake's test driver: 77 = skipped.
skip() { echo "SKIP: $*"; exit 77; }
[ -x /usr/bin/linux.uml ] || skip "linux.uml is not installed (apt-get install user-mode-linux)"

ok() { TESTNO=$((TESTNO+1)); echo "ok $TESTNO - $*"; }
not_ok() { TESTNO=$((TESTNO+1)); FAILS=$((FAILS+1)); echo "not ok $TESTNO - $*"; }
expect() {  # expect DESCRIPTION COMMAND...
	local d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
expect_eq() {  # expect_eq DESCRIPTION WANT GOT
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (want '$2', got '$3')"; fi
}

# Everything a test's labs create at run time lives under $T/run, so that
# tests running side by side (make -j check) never count each other's guests.
export XDG_RUNTIME_DIR="$T/run"
mkdir -p "$XDG_RUNTIME_DIR"
# Every process of every guest (kernel, helpers, traced children).
guests_left() { pgrep -f "uml_dir=$T/run/" | wc -l; }
# Guests: one process group (session) each.
guest_count() {
	local pids; pids=$(pgrep -d, -f "uml_dir=$T/run/")
	[ -n "$pids" ] || { echo 0; return; }
	ps -o pgid= -p "$pids" | sort -u | wc -l
}
rundirs_left() { find "$T/run/umlab" -mindepth 1 -maxdepth 1 ! -name labs 2>/dev/null | wc -l; }
# Wait up to $1 seconds for a condition (a command) to hold.
wait_for() {
	local limit=$1 i=0; shift
	while ! "$@"; do
		i=$((i+1)); [ $i -gt $((limit*20)) ] && return 1
		sleep 0.05
	done
}
no_guests() { [ "$(guests_left)" -eq 0 ]; }
no_rundirs() { [ "$(rundirs_left)" -eq 0 ]; }

finish() {
	echo "$((TESTNO-FAILS)) passed, $FAILS failed"
	[ "$FAILS" -eq 0 ]
	exit $?
}

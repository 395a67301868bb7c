#!/bin/sh
# node-freeze: time from a freeze request to the confirmed ptrace stop of a
# guest kernel (target <= 1 ms), idle and while the guest is busy (a shell
# loop in it and a ping flood at it); ptrace stops of a fault-free run (0).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
[ -x /usr/bin/linux.uml ] || { echo "SKIP: no linux.uml"; exit 0; }
export UMLAB_INIT="$top_builddir/umlab-init"
B=$(mktemp -d /tmp/umlab-bench.XXXXXX); chmod 711 "$B"
export XDG_RUNTIME_DIR="$B/run"; mkdir -p "$XDG_RUNTIME_DIR"
trap 'pkill -KILL -f "uml_dir=$B/" 2>/dev/null; rm -rf "$B"' EXIT
cat > "$B/freeze.lua" <<'LUA'
local s = switch("s")
local a, b = node("a"), node("b")
link(a, s, "10.6.0.1/24")
link(b, s, "10.6.0.2/24")
start()
a:exec("ping -c 20 -i 0.2 10.6.0.2")
print(string.format("ptrace stops in a fault-free run: a %d, b %d", a.ptrace_stops, b.ptrace_stops))
local function series(label)
	local l = {}
	for i = 1, 200 do
		l[i] = b:freeze()
		b:thaw()
		sleep(0.005)
	end
	table.sort(l)
	print(string.format("freeze latency, %s: median %.1f us, p90 %.1f us, max %.1f us (200 freezes)",
		label, l[100] * 1e6, l[180] * 1e6, l[200] * 1e6))
end
series("idle guest")
b:exec("sh -c 'while :; do :; done' >/dev/null 2>&1 & ping -f -w 30 10.6.0.1 >/dev/null 2>&1 &")
sleep(0.5)
series("busy guest")
LUA
"$top_builddir/umlab" run -o "$B/out" "$B/freeze.lua" 2>&1 | grep -E "ptrace stops|freeze latency|FAIL|error"
exit 0

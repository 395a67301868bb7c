#!/bin/sh
# Landlock keeps a guest's hostfs inside its own node folder
# (tests/e2e/scenarios/isolation.lua); guests never run as root.
. "$(dirname "$0")/lib.sh"
"$UMLAB" run -o "$T/out" "$SCEN/isolation.lua" > "$T/iso.out" 2>&1 &
pid=$!
if [ "$(id -u)" = 0 ]; then
	wait_for 30 sh -c "pgrep -f 'uml_dir=$T/run/' >/dev/null"
	users=$(ps -o user= -p "$(pgrep -d, -f "uml_dir=$T/run/")" 2>/dev/null | sort -u | tr '\n' ' ')
	case "$users" in
	*root*) not_ok "guests run unprivileged when umlab is root (users: $users)" ;;
	*) ok "guests run unprivileged when umlab is root (users: $users)" ;;
	esac
fi
wait $pid
rc=$?
cat "$T/iso.out"
if grep -q '"confinement": "none"' "$T/out/report.json"; then
	skip "this kernel has no Landlock"
fi
expect_eq "the isolation scenario passes" 0 "$rc"
expect "report.json says landlock" grep -q '"confinement": "landlock"' "$T/out/report.json"
finish

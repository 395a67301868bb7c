#!/bin/sh
# Node files, startup/shutdown scripts, the private root and the agent's
# exec options, put and get, on real guests.
. "$(dirname "$0")/lib.sh"

tag=umlab-test-$$
out=$T/out
# git keeps only 644 and 755: copy the lab and give the file the mode to check.
cp -a "$SCEN/node-lab" "$T/node-lab"
chmod 640 "$T/node-lab/a/etc/umlab-files/greeting"
UMLAB_TEST_TAG=$$ "$UMLAB" run -o "$out" "$T/node-lab" > "$T/stdout" 2> "$T/stderr"
rc=$?
cat "$T/stdout" "$T/stderr"
expect_eq "the node lab passes" 0 "$rc"
expect "every check passed" grep -q "checks passed, 0 failed; passed" "$T/stdout"
expect "the guest's write to /etc did not reach the host" test ! -e "/etc/$tag"
expect "b's failing startup is reported with its status" \
	grep -q "node b: startup script .*b.startup exited with status 7" "$T/stderr"
expect "startup output is in the console log" grep -q "a startup ran as 0" "$out/console/a.log"
expect "b's startup output is in its console log" grep -q "b startup about to fail" "$out/console/b.log"
expect "the shutdown script ran at power-off" grep -q "a shutdown ran" "$out/console/a.log"

# A missing files folder is an error naming the node, the folder and the line.
cat > "$T/bad.lua" <<'LUA'
local a = node("a")
local b = node("b", { files = "no-such-dir" })
LUA
"$UMLAB" run -o "$T/o2" "$T/bad.lua" > "$T/bad.out" 2>&1
expect "a missing files folder fails the run" test $? -ne 0
expect "the error names node, folder and file:line" \
	grep -q "bad.lua:2: node b: files folder 'no-such-dir' not found" "$T/bad.out"

expect "no guest kernel is left" wait_for 5 no_guests
expect "no runtime folder is left" no_rundirs
finish

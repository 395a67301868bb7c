#!/bin/sh
# persist=true: the node's writes survive stop/start on its disk image;
# an image in use or corrupt is refused with the node and the file named.
. "$(dirname "$0")/lib.sh"

lab=$T/lab
mkdir -p "$lab"
cp "$SCEN/node-persist/scenario.lua" "$lab/"

PHASE=write "$UMLAB" run -o "$T/o1" "$lab" > "$T/1.out" 2>&1
rc=$?; cat "$T/1.out"
expect_eq "first run passes" 0 "$rc"
expect "the disk image was created in the lab folder" test -s "$lab/a.disk"
expect "the image is sparse (under 64 MiB on disk)" test "$(du -k "$lab/a.disk" | cut -f1)" -lt 65536
expect "the write did not reach the host" test ! -e /etc/kept

PHASE=read "$UMLAB" run -o "$T/o2" "$lab" > "$T/2.out" 2>&1
rc=$?; cat "$T/2.out"
expect_eq "second run sees the first run's write" 0 "$rc"

# A lab holding the disk: UML locks it; a second lab must be refused.
PHASE=hold "$UMLAB" run -o "$T/o3" "$lab" > "$T/3.out" 2>&1 &
holder=$!
held() { grep -q holding "$T/o3/console/a.log" 2>/dev/null; }
expect "the holding lab is up" wait_for 60 held
PHASE=read "$UMLAB" run -o "$T/o4" "$lab" > "$T/4.out" 2>&1
rc=$?; cat "$T/4.out"
expect "a disk in use is refused" test "$rc" -ne 0
expect "the refusal names the node and the file" grep -q "node a: disk $lab/a.disk: in use" "$T/4.out"
expect "the refusal has the scenario's file:line" grep -q "scenario.lua:3:" "$T/4.out"
kill -INT $holder
wait $holder

# A corrupt image.
dd if=/dev/urandom of="$lab/b.disk" bs=4096 count=4 2>/dev/null
sed 's/node("a", { persist = true })/node("b", { persist = true })/' "$SCEN/node-persist/scenario.lua" > "$lab/scenario.lua"
PHASE=read "$UMLAB" run -o "$T/o5" "$lab" > "$T/5.out" 2>&1
rc=$?; cat "$T/5.out"
expect "a corrupt disk is refused" test "$rc" -ne 0
expect "the refusal names the node and the file" grep -q "node b: disk $lab/b.disk: not an ext4 image" "$T/5.out"

expect "no guest kernel is left" wait_for 5 no_guests
finish

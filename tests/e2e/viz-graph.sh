#!/bin/sh
# `umlab graph`: the lab of a scenario drawn without booting a guest, in
# every format; bad input is refused with exit 2 and nothing is replaced.
. "$(dirname "$0")/lib.sh"

LAB="$top_srcdir/labs/two-hosts"
mkdir -p "$T/cwd"
(cd "$T/cwd" && "$UMLAB" graph "$LAB") > "$T/g.out" 2>&1
expect_eq "graph of the default lab exits 0" 0 "$?"
svg=$T/cwd/two-hosts.svg
expect "it writes LAB.svg in the current folder" test -s "$svg"
expect "the SVG names node a" grep -q ">a<" "$svg"
expect "the SVG names node b" grep -q ">b<" "$svg"
expect "the SVG names switch s1" grep -q ">s1<" "$svg"
expect "no guest was booted" no_guests
expect "no console folder appeared" test ! -e "$T/cwd/console"

"$UMLAB" graph -T dot -o - "$LAB" > "$T/g.dot" 2> "$T/g.err"
expect_eq "-T dot -o - exits 0" 0 "$?"
expect "-o - writes dot text to stdout" grep -q '^graph "two-hosts"' "$T/g.dot"
expect "-o - writes no file" test ! -e ./-

"$UMLAB" graph -T png -o "$T/g.png" "$LAB" 2> "$T/g.err"
expect_eq "-T png exits 0" 0 "$?"
expect "the PNG is a PNG" sh -c "head -c 8 '$T/g.png' | grep -q PNG"
"$UMLAB" graph -T pdf -K neato -o "$T/g.pdf" "$LAB" 2> "$T/g.err"
expect_eq "-T pdf -K neato exits 0" 0 "$?"
expect "the PDF is a PDF" sh -c "head -c 5 '$T/g.pdf' | grep -q '%PDF'"

# A scenario that stops short of start() draws as well.
printf 'local s = hub("h")\nfor i = 1, 3 do link(node("n" .. i), s) end\n' > "$T/nostart.lua"
"$UMLAB" graph -o "$T/nostart.svg" "$T/nostart.lua" 2> "$T/g.err"
expect_eq "a scenario without start() draws" 0 "$?"
expect "... with its three nodes" test "$(grep -c 'class="node"' "$T/nostart.svg")" -eq 4

echo keep > "$T/keep.svg"
"$UMLAB" graph -T gif -o "$T/keep.svg" "$LAB" > "$T/bad.out" 2>&1
expect_eq "an unknown format exits 2" 2 "$?"
expect "... and says which" grep -q "unknown format 'gif'" "$T/bad.out"
"$UMLAB" graph -K spring -o "$T/keep.svg" "$LAB" > "$T/bad.out" 2>&1
expect_eq "an unknown layout engine exits 2" 2 "$?"
expect "... and says which" grep -q "unknown layout engine 'spring'" "$T/bad.out"
printf 'node("a")\nlink(node("b"), "nope")\nstart()\n' > "$T/bad.lua"
"$UMLAB" graph -o "$T/keep.svg" "$T/bad.lua" > "$T/bad.out" 2>&1
expect_eq "a scenario error exits 2" 2 "$?"
expect "... as file:line" grep -q "bad.lua:2:" "$T/bad.out"
expect_eq "a failed graph leaves the existing file alone" keep "$(cat "$T/keep.svg")"
"$UMLAB" graph -o "$T/no/such/dir/x.svg" "$LAB" > "$T/bad.out" 2>&1
expect_eq "an unwritable path exits 2" 2 "$?"
expect "... and names it" grep -q "no/such/dir/x.svg" "$T/bad.out"
"$UMLAB" graph --help > "$T/help.out" 2>&1
expect "graph --help lists the formats" grep -q "svg (default), png, pdf or dot" "$T/help.out"
# A Kathará lab folder is drawn from its lab.conf; relative node files of
# a scenario resolve from the scenario's folder, wherever umlab runs.
(cd / && "$UMLAB" graph -o "$T/kathara.svg" "$top_srcdir/tests/data/labconf/basic") > "$T/kg.out" 2>&1
expect_eq "graph of a Kathará folder exits 0" 0 "$?"
expect "it draws the collision domain lan2" grep -q ">lan2<" "$T/kathara.svg"
(cd / && "$UMLAB" graph -o "$T/sr.svg" "$top_srcdir/labs/static-routing") > "$T/sr.out" 2>&1
expect_eq "graph of a lab with startup files, from another folder, exits 0" 0 "$?"
finish

#!/bin/sh
# viz-bench.sh - `umlab graph` of a generated 250-node scenario and
# `umlab report` of a generated 100-node report.json, beside Graphviz's own
# dot and sfdp on the same graph in the same run.  Best of 3 runs each.
# VIZ_BENCH_KEEP=DIR keeps the 100-node page there.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
UMLAB="$top_builddir/umlab"
T=$(mktemp -d /tmp/umlab-viz-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
for p in dot sfdp; do
	command -v $p > /dev/null || { echo "viz-bench: $p missing (apt-get install graphviz)"; exit 1; }
done

# best_ms CMD...: the fastest of three runs, in milliseconds.
best_ms() {
	best=
	for _ in 1 2 3; do
		t0=$(date +%s%N)
		"$@" > /dev/null 2>&1 || { echo "viz-bench: failed: $*" >&2; exit 1; }
		t1=$(date +%s%N)
		ms=$(( (t1 - t0) / 1000000 ))
		[ -z "$best" ] || [ "$ms" -lt "$best" ] && best=$ms
	done
	echo "$best"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# 250 nodes: 226 hosts on 25 switches, 24 routers joining the switches in a chain.
{
	echo 'lab { name = "bench250" }'
	i=1
	while [ $i -le 25 ]; do echo "local s$i = switch('s$i')"; i=$((i+1)); done
	i=1
	while [ $i -le 226 ]; do
		echo "link(node('h$i'), s$(( (i - 1) % 25 + 1 )), '10.$(( (i - 1) % 25 + 1 )).0.$(( (i - 1) / 25 + 1 ))/24')"
		i=$((i+1))
	done
	i=1
	while [ $i -le 24 ]; do
		echo "local r$i = node('r$i')"
		echo "link(r$i, s$i, '10.$i.0.254/24')"
		echo "link(r$i, s$((i+1)), '10.$((i+1)).0.253/24')"
		i=$((i+1))
	done
	echo 'start()'
} > "$T/bench250.lua"
"$UMLAB" graph -T dot -o "$T/g.dot" "$T/bench250.lua" 2> /dev/null
# The peers get the same graph without its layout= choice.
sed 's/ layout=[a-z]*//' "$T/g.dot" > "$T/peer.dot"

u_auto=$(best_ms "$UMLAB" graph -o "$T/u.svg" "$T/bench250.lua")
u_sfdp=$(best_ms "$UMLAB" graph -K sfdp -o "$T/u.svg" "$T/bench250.lua")
u_dot=$(best_ms "$UMLAB" graph -K dot -o "$T/u.svg" "$T/bench250.lua")
u_dotfmt=$(best_ms "$UMLAB" graph -T dot -o "$T/u.dot" "$T/bench250.lua")
p_sfdp=$(best_ms sfdp -Tsvg -o "$T/p.svg" "$T/peer.dot")
p_dot=$(best_ms dot -Tsvg -o "$T/p.svg" "$T/peer.dot")
echo "umlab graph, 250 nodes + 25 switches, 274 cables (best of 3):"
printf "  %-36s %6d ms\n" "umlab graph -T dot (no layout)" "$u_dotfmt"
printf "  %-36s %6d ms   sfdp -Tsvg: %6d ms   ratio %s\n" "umlab graph (auto: sfdp) -T svg" "$u_auto" "$p_sfdp" "$(ratio "$u_auto" "$p_sfdp")"
printf "  %-36s %6d ms   sfdp -Tsvg: %6d ms   ratio %s\n" "umlab graph -K sfdp -T svg" "$u_sfdp" "$p_sfdp" "$(ratio "$u_sfdp" "$p_sfdp")"
printf "  %-36s %6d ms   dot -Tsvg:  %6d ms   ratio %s\n" "umlab graph -K dot -T svg" "$u_dot" "$p_dot" "$(ratio "$u_dot" "$p_dot")"

# 100 nodes on 10 switches, 200 checks, 20 events, a 20 KiB console log each.
mkdir -p "$T/run/console"
awk 'BEGIN {
	printf "{\"umlab_version\": \"bench\", \"report_format\": 1, \"scenario\": \"bench100.lua\",\n"
	printf " \"command_line\": \"umlab run bench100.lua\", \"lab\": \"bench100\", \"verdict\": \"passed\",\n"
	printf " \"exit_status\": 0, \"duration_s\": 30.0, \"error\": null, \"nodes\": [\n"
	for (i = 1; i <= 100; i++)
		printf "  {\"name\": \"n%d\", \"mem_mb\": 64, \"state\": \"stopped\", \"boot_s\": %.3f, \"reason\": \"stopped\", \"console\": \"console/n%d.log\", \"interfaces\": [{\"name\": \"eth0\", \"mac\": \"02:00:00:00:00:%02x\", \"address\": \"10.%d.0.%d/24\", \"link\": \"n%d.eth0-s%d\"}]}%s\n", i, 0.5 + i / 50.0, i, i, (i - 1) % 10 + 1, i, i, (i - 1) % 10 + 1, i < 100 ? "," : ""
	printf " ], \"links\": [\n"
	for (i = 1; i <= 100; i++)
		printf "  {\"name\": \"n%d.eth0-s%d\", \"node\": \"n%d\", \"interface\": \"eth0\", \"switch\": \"s%d\", \"switch_kind\": \"switch\", \"frames_from_node\": %d, \"bytes_from_node\": %d, \"frames_to_node\": %d, \"bytes_to_node\": %d, \"drops\": 0, \"pcap\": \"pcap/n%d.eth0-s%d.pcapng\"}%s\n", i, (i - 1) % 10 + 1, i, (i - 1) % 10 + 1, i * 7, i * 700, i * 9, i * 900, i, (i - 1) % 10 + 1, i < 100 ? "," : ""
	printf " ], \"checks\": [\n"
	for (i = 1; i <= 200; i++)
		printf "  {\"name\": \"check %d: n%d reaches its gateway\", \"passed\": true, \"time_s\": %.2f, \"where\": \"bench100.lua:%d\", \"detail\": \"64 bytes from 10.0.0.1: icmp_seq=1\"}%s\n", i, (i - 1) % 100 + 1, 3 + i * 0.13, i + 10, i < 200 ? "," : ""
	printf " ], \"events\": [\n"
	for (i = 1; i <= 20; i++)
		printf "  {\"t\": %.1f, \"kind\": \"link-down\", \"target\": \"n%d.eth0-s1\", \"text\": \"cable pulled\"}%s\n", 4 + i, i, i < 20 ? "," : ""
	printf " ]}\n"
}' > "$T/run/report.json"
i=1
head -c 15000 /dev/urandom | base64 -w 76 > "$T/console.txt"
while [ $i -le 100 ]; do cp "$T/console.txt" "$T/run/console/n$i.log"; i=$((i+1)); done
"$UMLAB" report -o "$T/check.html" "$T/run" > /dev/null
# The report's topology as dot, for the peers: the same graph the page draws.
{
	echo 'lab { name = "bench100" }'
	i=1
	while [ $i -le 10 ]; do echo "local s$i = switch('s$i')"; i=$((i+1)); done
	i=1
	while [ $i -le 100 ]; do echo "link(node('n$i'), s$(( (i - 1) % 10 + 1 )), '10.$(( (i - 1) % 10 + 1 )).0.$i/24')"; i=$((i+1)); done
} > "$T/bench100.lua"
"$UMLAB" graph -T dot -o - "$T/bench100.lua" | sed 's/ layout=[a-z]*//' > "$T/peer100.dot"
u_rep=$(best_ms "$UMLAB" report -o "$T/r.html" "$T/run")
[ -z "${VIZ_BENCH_KEEP:-}" ] || cp "$T/r.html" "$VIZ_BENCH_KEEP/report100.html"
p_sfdp100=$(best_ms sfdp -Tsvg -o "$T/p100.svg" "$T/peer100.dot")
echo "umlab report, 100 nodes, 200 checks, 20 events, 100 x 20 KiB consoles (best of 3):"
printf "  %-36s %6d ms   sfdp -Tsvg of its graph: %6d ms   ratio %s\n" "umlab report (page $(( $(wc -c < "$T/r.html") / 1024 )) KiB)" "$u_rep" "$p_sfdp100" "$(ratio "$u_rep" "$p_sfdp100")"

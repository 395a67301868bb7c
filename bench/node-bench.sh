#!/bin/sh
# The node part's figures (bench/node-bench.c), each beside its peer.
: "${top_builddir:=.}"
top_builddir=$(cd "$top_builddir" && pwd)
[ -x /usr/bin/linux.uml ] || { echo "skipped: linux.uml is not installed"; exit 0; }
exec "$top_builddir/bench/node-bench" -n "${BOOTS:-20}" -m "${EXECS:-200}" \
	"$top_builddir/umlab-init" "$top_builddir/bench/raw-init"

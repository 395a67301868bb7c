#!/bin/sh
# Generate ./configure from configure.ac (run once after a fresh clone;
# the GNUmakefile does it for you).
set -e
cd "$(dirname "$0")"
mkdir -p m4
autoreconf --install --force --warnings=no-portability

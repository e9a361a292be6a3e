#!/usr/bin/env bash
# Benchmarks (figures, not pass/fail): builds the release bundle and measures the
# tag table on a repository with many tags (default 10,000) against a baseline
# measured in the same run. Writes bench/results.md.  Usage: scripts/bench.sh [--tags N]
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$TAGDECK_ROOT/scripts/bootstrap.sh"
cd "$TAGDECK_ROOT"
trunk build --release --offline
exec node scripts/bench.mjs "$@"

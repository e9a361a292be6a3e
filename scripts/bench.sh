#!/usr/bin/env bash
# Benchmarks (figures, not pass/fail): builds the release bundle and measures the
# tag table on a repository with many tags (default 10,000) against baselines
# measured in the same run, and the time to all digests of a 1,000-tag repository
# across origins before (?fullAccept=1) and after issue #11's preflight-free first
# pass, with the preflights counted. Writes bench/results.md.
# Usage: scripts/bench.sh [--tags N] [--digest-tags N] [--rounds N]
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$TAGDECK_ROOT/scripts/bootstrap.sh"
cd "$TAGDECK_ROOT"
trunk build --release --offline
exec node scripts/bench.mjs "$@"

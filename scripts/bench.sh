#!/usr/bin/env bash
# Benchmarks (figures, not pass/fail): builds the release bundle and measures the
# tag table on a repository with many tags (default 10,000) against baselines
# measured in the same run, and the time to all digests of a 1,000-tag repository
# across origins before (?fullAccept=1) and after issue #11's preflight-free first
# pass, with the preflights counted; with a proxy adding latency (default 20 ms) to
# every request on loopback, the time to all digests of that repository in three
# deployments (cross-origin HTTP/1.1, same-origin nginx HTTP/1.1, same-origin nginx
# with TLS and HTTP/2), each beside a floor measured in the same run (the same HEADs by
# a bare fetch loop at the best concurrency the browser allows); and the time until
# the table is current after adding one tag, and in each of those deployments the
# check "Remove tag" makes of the other tags (across origins also with the full
# Accept only, as before change lookups had first passes). Writes bench/results.md.
# Usage: scripts/bench.sh [--no-build] [--tags N] [--digest-tags N] [--rounds N]
#                         [--latency-rounds N] [--latency-ms N]
# --no-build measures dist/ as it is (no bootstrap, no trunk build).
set -euo pipefail
source "$(dirname "$0")/env.sh"
build=1
if [ "${1:-}" = "--no-build" ]; then build=0; shift; fi
cd "$TAGDECK_ROOT"
if [ "$build" = 1 ]; then
  "$TAGDECK_ROOT/scripts/bootstrap.sh"
  trunk build --release --offline
fi
exec node scripts/bench.mjs "$@"

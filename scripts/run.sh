#!/usr/bin/env bash
# Runs the console against a local demo registry: installs what is missing, builds
# the release bundle, starts the registry with demo images and serves the console on
# http://127.0.0.1:8080 (TAGDECK_PORT to change). Ctrl-C stops everything.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$TAGDECK_ROOT/scripts/bootstrap.sh"
cd "$TAGDECK_ROOT"
mkdir -p .tagdeck
trunk build --release --offline
exec node scripts/demo.mjs

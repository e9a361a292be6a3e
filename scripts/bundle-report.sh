#!/usr/bin/env bash
# Where the wasm bundle's bytes go, by crate (and by module of this crate), from
# twiggy on the release build before wasm-bindgen (the only stage that still names
# its functions). Installs twiggy on first use. Writes bench/bundle.md.
#   scripts/bundle-report.sh [--no-build]
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$TAGDECK_ROOT"
if [ "${1:-}" != "--no-build" ]; then
  "$TAGDECK_ROOT/scripts/bootstrap.sh"
  trunk build --release --offline
fi
command -v twiggy >/dev/null || cargo install --quiet twiggy --version 0.8.0
wasm=target/wasm32-unknown-unknown/release/tagdeck.wasm
mkdir -p .tagdeck
twiggy top -n 1000000 -f csv "$wasm" > .tagdeck/twiggy.csv
node scripts/bundle-report.mjs .tagdeck/twiggy.csv dist bench/bundle.md

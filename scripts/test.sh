#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint, native unit tests, browser tests
# (wasm-bindgen-test in headless Chromium against a real registry) and end-to-end
# tests (Playwright driving the release build against a real registry).
# Fails when any part fails or when a part ran no test.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$TAGDECK_ROOT/scripts/bootstrap.sh"
cd "$TAGDECK_ROOT"
mkdir -p .tagdeck
started=$(date +%s)

step() { printf '\n== %s\n' "$*"; }
# Sums "N passed" over every cargo test result line in a log.
passed_in() { grep -Eo 'test result: ok\. [0-9]+ passed' "$1" | awk '{s += $4} END {print s + 0}'; }

step "format and lint"
cargo fmt --check
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --all-targets --target wasm32-unknown-unknown -- -D warnings
cargo clippy --quiet --target wasm32-unknown-unknown --features split -- -D warnings

step "native unit tests"
cargo test 2>&1 | tee .tagdeck/native-tests.log
native=$(passed_in .tagdeck/native-tests.log)
[ "$native" -gt 0 ] || { echo "no native test ran" >&2; exit 1; }

step "browser tests (headless Chromium, real registry)"
harness_log=.tagdeck/browser-registry.log
rm -f .tagdeck/browser-env.sh
node scripts/registry.mjs --scale 300 --env-out .tagdeck/browser-env.sh >"$harness_log" 2>&1 &
harness=$!
trap 'kill $harness 2>/dev/null || true; wait $harness 2>/dev/null || true' EXIT
until grep -q '^ready$' "$harness_log"; do
  kill -0 $harness 2>/dev/null || { cat "$harness_log" >&2; exit 1; }
  sleep 0.2
done
cat "$harness_log"
# shellcheck source=/dev/null
source .tagdeck/browser-env.sh
cargo test --target wasm32-unknown-unknown --test browser 2>&1 | tee .tagdeck/browser-tests.log
browser=$(passed_in .tagdeck/browser-tests.log)
[ "$browser" -gt 0 ] || { echo "no browser test ran" >&2; exit 1; }
node tests/skopeo-agrees.mjs
kill $harness; wait $harness 2>/dev/null || true
trap - EXIT

step "release build"
trunk build --release --offline

step "end-to-end tests (Playwright, release build, real registry)"
npx playwright test --config tests/e2e/playwright.config.mjs

printf '\nall tests passed: %s native, %s browser, end-to-end as listed above (%s s)\n' \
  "$native" "$browser" "$(($(date +%s) - started))"

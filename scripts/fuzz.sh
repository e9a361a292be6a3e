#!/usr/bin/env bash
# Fuzzes the parsers of what registries, token services and people send (issue #10)
# with cargo-fuzz (libFuzzer): builds every target in fuzz/, runs each for N seconds,
# then prints executions, speed, coverage and crashes per target.
#
#   scripts/fuzz.sh [seconds] [target...]     (default: 30 s, every target)
#
# Stable Rust is enough. Targets are built without a sanitizer by default: the code
# is safe Rust, and what is looked for are panics (overflow checks and debug
# assertions are on), hangs (-timeout) and memory blow-ups (-rss_limit_mb); that
# build takes no nightly flag. SANITIZER=address builds with ASan, which needs
# -Zsanitizer: stable rustc accepts it with RUSTC_BOOTSTRAP=1, set here for that
# case together with CARGO_CACHE_RUSTC_INFO=0 (cargo would otherwise replay a
# "-Z needs nightly" failure it cached from an earlier run without it).
#
# KEEP_GOING=1 runs libFuzzer in fork mode and ignores crashes, so a target with a
# known crash is still explored for the rest of its time.
# Crashes land in fuzz/artifacts/<target>/ and the corpus grows in fuzz/corpus/
# (both ignored by git); fuzz/seeds/ and fuzz/dicts/ are the committed starting
# points. Reproduce a crash: cargo fuzz run <target> <artifact> (in fuzz/'s parent).
# Exit status 1 when a target crashed, timed out or ran out of memory.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$TAGDECK_ROOT"

seconds="${1:-30}"
[ $# -gt 0 ] && shift
sanitizer="${SANITIZER:-none}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked || cargo install cargo-fuzz
fi
if [ "$sanitizer" != none ]; then
  export RUSTC_BOOTSTRAP=1 CARGO_CACHE_RUSTC_INFO=0
fi

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

echo "== building ${#targets[*]} fuzz targets (sanitizer: $sanitizer)"
cargo fuzz build -s "$sanitizer"

logs="fuzz/artifacts/logs"
mkdir -p "$logs"
summary=()
failed=0
for target in "${targets[@]}"; do
  case "$target" in
    manifest | index_config | error_envelope | token_response) dict=json max_len=16384 ;;
    *) dict=header max_len=4096 ;;
  esac
  mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
  seeds=()
  [ -d "fuzz/seeds/$target" ] && seeds=("$TAGDECK_ROOT/fuzz/seeds/$target")
  extra=()
  [ "${KEEP_GOING:-0}" = 1 ] && extra=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  log="$logs/$target.log"
  stamp="$logs/$target.started"
  touch "$stamp"
  echo "== $target: ${seconds} s"
  set +e
  cargo fuzz run -s "$sanitizer" "$target" "$TAGDECK_ROOT/fuzz/corpus/$target" "${seeds[@]}" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
    -dict="$TAGDECK_ROOT/fuzz/dicts/$dict.dict" -print_final_stats=1 "${extra[@]}" >"$log" 2>&1
  status=$?
  set -e
  # The last status line: "#N  DONE|pulse|NEW  cov: C ft: F corp: K/… exec/s: E …"
  # (fork mode: "#N: cov: C ft: F corp: K exec/s: E oom/timeout/crash: …").
  last=$(grep -E '^#[0-9]+:?[[:space:]].*cov: ' "$log" | tail -1 || true)
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
  [ -n "$runs" ] || runs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
  speed=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
  [ -n "$speed" ] || speed=$(grep -Eo 'exec/s: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || true)
  cov=$(grep -Eo 'cov: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || true)
  ft=$(grep -Eo 'ft: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || true)
  corp=$(grep -Eo 'corp: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || true)
  # What this run left (in fork mode too): crash-*, timeout-*, oom-*, leak-*.
  crashes=$(find "fuzz/artifacts/$target" -maxdepth 1 -type f -newer "$stamp" \
    \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | sort | tr '\n' ' ')
  if [ "$status" -ne 0 ] || [ -n "$crashes" ]; then
    failed=1
    verdict="FOUND (exit $status): ${crashes:-see $log}"
    [ "${KEEP_GOING:-0}" = 1 ] && [ "$status" -eq 0 ] && verdict="FOUND (kept going): $crashes"
    grep -E "panicked at|^thread '|ERROR: libFuzzer" "$log" | head -3 | sed 's/^/    /' || true
  else
    verdict="no crash"
  fi
  summary+=("$(printf '%-15s %10s runs %8s exec/s  cov %5s  ft %6s  corpus %5s  %s' \
    "$target" "${runs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$verdict")")
done

printf '\n== fuzzing summary (%s s per target, logs in %s)\n' "$seconds" "$logs"
printf '%s\n' "${summary[@]}"
exit "$failed"

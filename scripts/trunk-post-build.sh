#!/usr/bin/env bash
# Trunk's post-build hook (Trunk.toml), run in the staging folder before it becomes
# dist/:
#   1. Brings the on-demand chunks and their loader (made by scripts/split/wasm-bindgen)
#      beside the main module: optimized like it in release builds, the loader
#      pointed at the main script's hashed name.
#   2. Refuses a build that bypassed the split, or whose main script imports a loader
#      that is not there: either would fail only in the browser.
#   3. Adds to index.html the preload of a view's part when the page opens at it
#      (scripts/split/preload-parts.mjs).
#   4. Leaves gzipped copies beside the files: deploy/'s nginx (gzip_static) and Caddy
#      (precompressed) send them as they are, instead of compressing the wasm at
#      every request (about 120 ms of CPU at gzip level 6 for the unsplit 1.6 MB).
set -euo pipefail
stage="$TRUNK_STAGING_DIR"
# Where cargo builds, as Trunk itself asks (CARGO_TARGET_DIR, CARGO_BUILD_TARGET_DIR
# or a cargo config's build.target-dir may each move it).
target_dir="$(cd "$TRUNK_SOURCE_DIR" && cargo metadata --format-version 1 --no-deps --offline |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
split_dir="$target_dir/wasm-bindgen/$TRUNK_PROFILE/split"

main_js="$(cd "$stage" && ls tagdeck-*.js | grep -v '_bg\.js$' | head -1)"
[ -n "$main_js" ] || { echo "post-build: no tagdeck-*.js in $stage" >&2; exit 1; }

if grep -q '__wasm_split_placeholder__' "$stage/$main_js"; then
  echo "post-build: the wasm was not split (wasm-bindgen ran without scripts/split first on" \
    "PATH): build with scripts/env.sh sourced, as scripts/run.sh and scripts/test.sh do" >&2
  exit 1
fi
for loader in $(grep -o '__wasm_split-[0-9a-f]*\.js' "$stage/$main_js" | sort -u); do
  [ -f "$split_dir/$loader" ] || {
    echo "post-build: $main_js imports $loader, which the split did not make" >&2
    exit 1
  }
  sed "s|\"\./tagdeck\.js\"|\"./$main_js\"|" "$split_dir/$loader" > "$stage/$loader"
  for chunk in $(grep -o '\./[A-Za-z0-9_]*-[0-9a-f]*\.wasm' "$split_dir/$loader" | sort -u); do
    chunk="${chunk#./}"
    if [ "$TRUNK_PROFILE" = release ]; then
      # (binaryen does not know the name subsection wasm-split writes; it is stripped)
      wasm-opt -Oz --strip-debug --strip-producers "$split_dir/$chunk" -o "$stage/$chunk" \
        2> >(grep -v 'unknown name subsection' >&2)
    else
      cp "$split_dir/$chunk" "$stage/$chunk"
    fi
  done
done

# A page opened at a view in a part fetches the part's chunks with the page.
node "$TRUNK_SOURCE_DIR/scripts/split/preload-parts.mjs" "$stage"

find "$stage" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' \) \
  -exec gzip -9 -k -f -n {} +

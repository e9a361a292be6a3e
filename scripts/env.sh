# Sourced by the other scripts: where the installed tools are found.
TAGDECK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TAGDECK_ROOT
# node_modules/.bin first: its wasm-opt (binaryen 132 on Node) must win over Debian's
# binaryen 108, which breaks release builds of current wasm-bindgen output.
# scripts/split first: its wasm-bindgen splits the wasm before the real one runs.
export PATH="$TAGDECK_ROOT/scripts/split:$TAGDECK_ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# Panic locations name the files they were compiled from: cargo's registry is
# remapped so the wasm does not carry this machine's $CARGO_HOME about 70 times (its
# size then depends on the code, not on where cargo lives). Added to the flags of
# .cargo/config.toml, which stay.
# Cargo splits the variable at blanks: a CARGO_HOME with one is left as it is.
case "${CARGO_HOME:-$HOME/.cargo}" in
  *[[:space:]]*) ;;
  *) export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}/registry/src=crates" ;;
esac

#!/usr/bin/env bash
# Installs what building, running and testing Tagdeck needs, and only what is missing,
# on a Debian 12 machine with Rust and Node. Safe to run again and again.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$TAGDECK_ROOT"

say() { printf '[bootstrap] %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# What this script cannot install itself, checked first: Playwright needs Node 20 or
# later (Debian 12's own nodejs is 18, and its npm a separate package), and finding
# out after half an hour of compiling helps no one.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo none)
if [ "$node_major" = none ] || [ "$node_major" -lt 20 ] || ! command -v npm >/dev/null 2>&1; then
  echo "[bootstrap] needs Node.js 20 or later with npm (found: node ${node_major}, npm $(command -v npm || echo none))." >&2
  echo "[bootstrap] Install them (for example from NodeSource or nodejs.org) and run this again." >&2
  exit 1
fi
command -v rustup >/dev/null 2>&1 || { echo "[bootstrap] needs rustup (https://rustup.rs) for the wasm32 target." >&2; exit 1; }

# Debian packages, each checked by a file it installs.
declare -A PACKAGE_OF=(
  [/usr/bin/chromium]=chromium
  [/usr/bin/chromedriver]=chromium-driver
  [/usr/bin/docker-registry]=docker-registry
  [/usr/sbin/nginx]=nginx-light
  [/usr/bin/htpasswd]=apache2-utils
  [/usr/bin/skopeo]=skopeo
  [/usr/bin/caddy]=caddy          # the Caddyfile variant of the same-origin setup
  [/usr/bin/openssl]=openssl      # test certificates and the token service's key
  [/usr/bin/envsubst]=gettext-base # renders deploy/nginx templates
)
missing=()
for file in "${!PACKAGE_OF[@]}"; do
  [ -x "$file" ] || missing+=("${PACKAGE_OF[$file]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  # Under systemd, Debian enables and starts a service as its package is installed:
  # docker-registry would then listen on :5000 with no login, nginx and caddy on :80.
  # The tests start their own; stop and disable those this run installed, no others.
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    for package in "${missing[@]}"; do
      case "$package" in
        docker-registry) service=docker-registry ;;
        nginx-light) service=nginx ;;
        caddy) service=caddy ;;
        *) continue ;;
      esac
      say "stopping and disabling the $service service that installing $package started"
      as_root systemctl disable --now --quiet "$service.service" ||
        say "could not disable $service.service: stop it yourself (systemctl disable --now $service)"
    done
  fi
fi

# scripts/test.sh runs cargo fmt and clippy first; rustup's minimal profile has neither
# (grep without -q reads all of the list: with pipefail, -q could fail on SIGPIPE).
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep "^$component-" >/dev/null; then
    say "adding the rustup component $component"
    rustup component add "$component" >/dev/null
  fi
done

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

TRUNK_VERSION=0.21.14 # 0.22 needs a newer rustc than this machine's 1.95
if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION"; then
  say "installing trunk $TRUNK_VERSION (about 10 minutes)"
  cargo install --locked --quiet trunk --version "$TRUNK_VERSION"
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')"
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 5 minutes)"
  # --locked fails for some versions (a locked dependency is missing from the registry).
  cargo install --quiet --locked wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" ||
    cargo install --quiet wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
if ! grep -q "wasm_bindgen = \"$WASM_BINDGEN_VERSION\"" Trunk.toml; then
  echo "Trunk.toml [tools] wasm_bindgen must be $WASM_BINDGEN_VERSION (Cargo.lock)" >&2
  exit 1
fi

# wasm-split-cli cuts the on-demand parts out of the wasm (scripts/split/wasm-bindgen).
# Its output must match the loader of the wasm_split_helpers in Cargo.lock, which
# Leptos pins: 0.2.4 is the CLI that goes with helpers 0.2.3.
WASM_SPLIT_VERSION=0.2.4
if ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  say "installing wasm-split-cli $WASM_SPLIT_VERSION (about 5 minutes)"
  cargo install --quiet --locked wasm_split_cli_support --version "$WASM_SPLIT_VERSION" \
    --features build-binary
fi
if ! grep -A1 '^name = "wasm_split_helpers"$' Cargo.lock | grep -q '^version = "0.2.3"$'; then
  echo "Cargo.lock has another wasm_split_helpers than 0.2.3: check which wasm-split-cli goes with it" >&2
  exit 1
fi

# Node packages: binaryen 132 (wasm-opt) and Playwright (driving Debian's Chromium;
# it never downloads a browser). Reinstalled when package-lock.json changes.
if ! cmp -s package-lock.json node_modules/.tagdeck-lock 2>/dev/null; then
  say "installing Node packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.tagdeck-lock
fi

say "tools ready: $(trunk --version), $(wasm-bindgen --version), $(wasm-opt --version | head -1), $(chromium --version 2>/dev/null | head -1)"

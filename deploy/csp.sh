#!/bin/sh
# Prints the Content-Security-Policy for the console built into DIST_DIR, allowing
# connections to its own origin and to the origin of each URL given (the registry,
# trusted token realms):
#
#   deploy/csp.sh DIST_DIR [URL...]
#
# script-src holds the hash of each inline <script> of DIST_DIR/index.html (Trunk
# writes one, the module that loads the wasm): sha256 over the exact text between the
# tags, base64, as browsers compute it. Rebuilding the console changes that text, so
# the policy is computed where the build is served, never written down by hand.
# POSIX sh, awk and sha256sum (or shasum/openssl): works in the nginx:alpine image.
set -eu

die() { printf 'csp.sh: %s\n' "$*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: csp.sh DIST_DIR [URL...]"
index="$1/index.html"
shift
[ -r "$index" ] || die "cannot read $index"

sha256_hex() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum | cut -c1-64
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 | cut -c1-64
  else openssl dgst -sha256 -r | cut -c1-64
  fi
}

# Hex digest to base64, in awk: three bytes (six hex digits) give four characters.
hex_to_base64() {
  awk '{
    hex = "0123456789abcdef"
    b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    s = tolower($0); out = ""
    for (i = 1; i <= length(s); i += 6) {
      chunk = substr(s, i, 6); bytes = length(chunk) / 2
      n = 0
      for (j = 1; j <= 6; j++) n = n * 16 + (j <= length(chunk) ? index(hex, substr(chunk, j, 1)) - 1 : 0)
      c1 = int(n / 262144) % 64; c2 = int(n / 4096) % 64; c3 = int(n / 64) % 64; c4 = n % 64
      out = out substr(b64, c1 + 1, 1) substr(b64, c2 + 1, 1)
      out = out (bytes > 1 ? substr(b64, c3 + 1, 1) : "=") (bytes > 2 ? substr(b64, c4 + 1, 1) : "=")
    }
    print out
  }'
}

# The scheme://host[:port] of a URL; refuses anything that could smuggle a directive.
origin_of() {
  origin=$(printf '%s' "$1" | sed -n 's#^\([A-Za-z][A-Za-z0-9+.-]*://\)\([^/?#@]*@\)\{0,1\}\([^/?#@]*\).*$#\1\3#p')
  case "$origin" in
    http://?* | https://?*) ;;
    *) die "not an http(s) URL: $1" ;;
  esac
  case "$origin" in
    *[!A-Za-z0-9.:/\[\]-]*) die "unexpected characters in the origin of $1" ;;
  esac
  printf '%s' "$origin" | tr 'A-Z' 'a-z'
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Each inline script's text to its own file. Tag names are matched case-insensitively
# on a lowercased copy of the same length, the text is cut from the original.
awk -v out="$work/script" '
  { html = html $0 "\n" }
  END {
    lower = tolower(html); n = 0; rest = 1
    while ((start = index(substr(lower, rest), "<script")) > 0) {
      start += rest - 1
      close_tag = index(substr(lower, start), ">")
      if (close_tag == 0) break
      open_end = start + close_tag - 1
      attrs = substr(lower, start + 7, open_end - start - 7)
      finish = index(substr(lower, open_end + 1), "</script")
      if (finish == 0) break
      text = substr(html, open_end + 1, finish - 1)
      if (attrs !~ /(^|[ \t\n\/])src[ \t\n]*=/) {
        n++
        printf "%s", text > (out "." n)
        close(out "." n)
      }
      rest = open_end + finish
    }
  }' "$index"

hashes=""
for script in "$work"/script.*; do
  [ -e "$script" ] || continue
  hashes="$hashes 'sha256-$(sha256_hex < "$script" | hex_to_base64)'"
done

connect="'self'"
for url in "$@"; do
  [ -n "$url" ] || continue
  origin=$(origin_of "$url") || exit 1
  case " $connect " in *" $origin "*) ;; *) connect="$connect $origin" ;; esac
done

printf "%s\n" "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'$hashes; style-src 'self'; img-src 'self' data:; connect-src $connect; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

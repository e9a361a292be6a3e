#!/bin/sh
# Renders an nginx template of deploy/nginx with envsubst, substituting only the
# variables Tagdeck defines (so nginx's own $uri, $host... survive), and refuses to
# write a file that would miss one of them or carry a value that breaks out of its
# quotes:
#
#   deploy/render.sh TEMPLATE OUTPUT
set -eu

VARIABLES="TAGDECK_LISTEN TAGDECK_ROOT TAGDECK_CONFIG_DIR TAGDECK_CSP TAGDECK_ROUTES
REGISTRY_UPSTREAM TOKEN_UPSTREAM TOKEN_PATH TLS_CERT TLS_KEY ALLOW_ORIGIN"

die() { printf 'render.sh: %s\n' "$*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: render.sh TEMPLATE OUTPUT"
template=$1
output=$2
[ -r "$template" ] || die "cannot read $template"

shell_format=""
for name in $VARIABLES; do
  shell_format="$shell_format \${$name}"
  grep -q "\${$name}" "$template" || continue
  eval "value=\${$name-}"
  [ -n "$value" ] || die "$template needs $name"
  # Values land inside double quotes in nginx's syntax, where " \ and $ mean something.
  case "$value" in
    *'"'* | *'\'* | *'$'* | *'
'*) die "$name must not contain a double quote, a backslash, a dollar sign or a newline" ;;
  esac
done

envsubst "$shell_format" < "$template" > "$output.tmp"
mv "$output.tmp" "$output"

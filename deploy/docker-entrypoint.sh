#!/bin/sh
# Tagdeck's container entrypoint: configures the console from the environment, then
# runs the command it is given (in the image: nginx's own entrypoint and nginx).
#
#   REGISTRY_URL       the registry the console opens (absent: its own origin, the
#                      same-origin setup)
#   TRUSTED_REALMS     token services the console may send credentials to, URLs
#                      separated by spaces or commas
#   REGISTRY_UPSTREAM  forward /v2/ to this registry (http://registry:5000)
#   TOKEN_UPSTREAM     forward TOKEN_PATH (default /token) to this token service
#   TLS_CERT, TLS_KEY  serve HTTPS with HTTP/2 instead of plain HTTP
#   TAGDECK_LISTEN     what nginx listens on (default 80, or 443 with TLS)
#   TAGDECK_CSP        a Content-Security-Policy of your own instead of the computed one
#
# configure.sh writes config.json and computes the Content-Security-Policy from those;
# then the nginx templates are rendered (render.sh), the optional routes only when
# their upstream is set. Where things are, for running it outside the image (the
# tests do):
#   TAGDECK_ROOT        the console's dist/ (default /usr/share/nginx/html)
#   TAGDECK_CONFIG_DIR  where config.json is written and served from (TAGDECK_ROOT)
#   TAGDECK_TEMPLATES   deploy/nginx (default: nginx/ beside this script)
#   TAGDECK_CONF_DIR    where the server file goes (default /etc/nginx/conf.d)
#   TAGDECK_ROUTES      where the route files go (default TAGDECK_CONF_DIR/tagdeck.d)
# With no command it only configures, and exits.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
die() { printf 'tagdeck-entrypoint: %s\n' "$*" >&2; exit 1; }

: "${TAGDECK_ROOT:=/usr/share/nginx/html}"
: "${TAGDECK_CONFIG_DIR:=$TAGDECK_ROOT}"
: "${TAGDECK_TEMPLATES:=$here/nginx}"
: "${TAGDECK_CONF_DIR:=/etc/nginx/conf.d}"
: "${TAGDECK_ROUTES:=$TAGDECK_CONF_DIR/tagdeck.d}"
: "${TOKEN_PATH:=/token}"
if [ -n "${TLS_CERT:-}" ]; then : "${TAGDECK_LISTEN:=443}"; else : "${TAGDECK_LISTEN:=80}"; fi
export TAGDECK_ROOT TAGDECK_CONFIG_DIR TAGDECK_ROUTES TAGDECK_LISTEN TOKEN_PATH

TAGDECK_CSP=$(sh "$here/configure.sh") || die "cannot configure the console"
export TAGDECK_CSP

mkdir -p "$TAGDECK_CONF_DIR" "$TAGDECK_ROUTES"
rm -f "$TAGDECK_CONF_DIR/tagdeck.conf" "$TAGDECK_CONF_DIR/tagdeck-tls.conf" \
  "$TAGDECK_ROUTES/console.conf" "$TAGDECK_ROUTES/registry.conf" "$TAGDECK_ROUTES/token.conf"
render() { sh "$here/render.sh" "$TAGDECK_TEMPLATES/$1.template" "$2" || exit 1; }
if [ -n "${TLS_CERT:-}" ]; then
  render tagdeck-tls.conf "$TAGDECK_CONF_DIR/tagdeck-tls.conf"
else
  render tagdeck.conf "$TAGDECK_CONF_DIR/tagdeck.conf"
fi
render tagdeck.d/console.conf "$TAGDECK_ROUTES/console.conf"
# Optional routes are optional files: nginx cannot test whether a variable is set.
if [ -n "${REGISTRY_UPSTREAM:-}" ]; then render tagdeck.d/registry.conf "$TAGDECK_ROUTES/registry.conf"; fi
if [ -n "${TOKEN_UPSTREAM:-}" ]; then render tagdeck.d/token.conf "$TAGDECK_ROUTES/token.conf"; fi

[ $# -eq 0 ] || exec "$@"

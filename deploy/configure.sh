#!/bin/sh
# Configures the console in TAGDECK_ROOT from the environment, for any web server:
# writes config.json and prints the Content-Security-Policy to send with the console.
#
#   REGISTRY_URL        the registry the console opens (absent: its own origin)
#   TRUSTED_REALMS      token services the console may send credentials to, URLs
#                       separated by spaces or commas
#   TAGDECK_ROOT        the console's dist/ folder (default /usr/share/nginx/html)
#   TAGDECK_CONFIG_DIR  where config.json goes (default TAGDECK_ROOT)
#   TAGDECK_CSP         a policy of your own: printed as it is
#
# config.json ({"registry": ..., "trustedRealms": [...]}) is written only when
# REGISTRY_URL or TRUSTED_REALMS is set; otherwise the one in place, if any, stays.
# The policy (csp.sh) allows connections to this origin, the registry and the realms.
set -eu
set -f # URLs are split on spaces below, never expanded as file names

here=$(cd "$(dirname "$0")" && pwd)
die() { printf 'configure.sh: %s\n' "$*" >&2; exit 1; }
: "${TAGDECK_ROOT:=/usr/share/nginx/html}"
: "${TAGDECK_CONFIG_DIR:=$TAGDECK_ROOT}"
REGISTRY_URL=${REGISTRY_URL:-}
realms=$(printf '%s' "${TRUSTED_REALMS:-}" | tr ',\t\n' '   ')

# A JSON string literal of the value (quotes, backslashes, control characters escaped).
json_string() {
  JSON_VALUE=$1 awk 'BEGIN {
    s = ENVIRON["JSON_VALUE"]; out = ""
    for (i = 1; i < 32; i++) control[sprintf("%c", i)] = sprintf("\\u%04x", i)
    control["\n"] = "\\n"; control["\t"] = "\\t"; control["\r"] = "\\r"
    for (i = 1; i <= length(s); i++) {
      c = substr(s, i, 1)
      if (c == "\"") out = out "\\\""
      else if (c == "\\") out = out "\\\\"
      else if (c in control) out = out control[c]
      else out = out c
    }
    printf "\"%s\"", out
  }'
}

# config.json is public (any visitor can download it): a user name or password in a
# URL (https://user:pass@host) would be published, so such a URL is refused before
# anything is written, and not echoed (nor is the password, into a log). The console
# asks for credentials itself.
refuse_userinfo() {
  authority=${2#*://}
  authority=${authority%%[/?#]*}
  case "$authority" in
    *@*) die "$1 holds a user name or password (...@${authority##*@}): config.json is public; leave them out of the URL, the console asks for them" ;;
  esac
}
refuse_userinfo REGISTRY_URL "$REGISTRY_URL"
for realm in $realms; do refuse_userinfo TRUSTED_REALMS "$realm"; done

# The policy first: it refuses URLs that are not http(s), before anything is written.
if [ -n "${TAGDECK_CSP:-}" ]; then
  csp=$TAGDECK_CSP
else
  # shellcheck disable=SC2086 # one argument per URL
  csp=$(sh "$here/csp.sh" "$TAGDECK_ROOT" $REGISTRY_URL $realms)
fi

if [ -n "$REGISTRY_URL" ] || [ -n "$(printf '%s' "$realms" | tr -d ' ')" ]; then
  mkdir -p "$TAGDECK_CONFIG_DIR"
  {
    printf '{'
    if [ -n "$REGISTRY_URL" ]; then printf '"registry": %s, ' "$(json_string "$REGISTRY_URL")"; fi
    printf '"trustedRealms": ['
    separator=""
    for realm in $realms; do
      printf '%s%s' "$separator" "$(json_string "$realm")"
      separator=", "
    done
    printf ']}\n'
  } > "$TAGDECK_CONFIG_DIR/config.json.tmp"
  mv "$TAGDECK_CONFIG_DIR/config.json.tmp" "$TAGDECK_CONFIG_DIR/config.json"
fi

printf '%s\n' "$csp"

#!/bin/sh
# Keepalived track_script for a DingoSpeed gateway (see README.md).
# Exits 0 only when the local gateway answers its /health with HTTP 200 and "status":"ok"
# (the terminus body) within a short timeout; 1 otherwise; 2 when curl is missing.
# DINGO_HEALTH_URL and DINGO_HEALTH_TIMEOUT (seconds) override the defaults, for tests or a
# gateway on another port. Keep the timeout below the vrrp_script timeout.
set -u

url=${DINGO_HEALTH_URL:-http://127.0.0.1:8090/health}
timeout=${DINGO_HEALTH_TIMEOUT:-2}

if ! command -v curl >/dev/null 2>&1; then
  echo "check_gateway: curl not found" >&2
  exit 2
fi

# The status code goes on a line of its own after the body; no -f, so a 503 body is read too.
response=$(curl -sS --max-time "$timeout" --connect-timeout "$timeout" -w '\n%{http_code}' "$url" 2>/dev/null) || exit 1
code=$(printf '%s\n' "$response" | tail -n 1)
body=$(printf '%s\n' "$response" | sed '$d')

[ "$code" = "200" ] || exit 1
# Component entries say "up"/"down"; only the overall verdict says "ok" (or "error").
printf '%s' "$body" | grep -Eq '"status"[[:space:]]*:[[:space:]]*"ok"' || exit 1
exit 0

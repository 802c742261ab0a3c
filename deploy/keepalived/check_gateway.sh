#!/bin/sh
# Keepalived track_script for a DingoSpeed gateway (see README.md).
# Exits 0 only when the local gateway is ready: GET /health/ready answers HTTP 200 with
# "status":"ok" (the terminus body); 1 otherwise; 2 when curl is missing.
# Keepalived acts on the first failure (fall 1), so the script tells the two kinds apart itself:
# nothing listening (the gateway died) fails at once; a slow answer or a 503 is asked again once
# after a short pause, so a single blip does not move the VIP.
# DINGO_HEALTH_URL, DINGO_HEALTH_TIMEOUT (seconds per attempt) and DINGO_HEALTH_RETRY_PAUSE
# override the defaults, for tests or a gateway on another port. Keep 2 x timeout + pause below
# the vrrp_script timeout.
set -u

url=${DINGO_HEALTH_URL:-http://127.0.0.1:8090/health/ready}
timeout=${DINGO_HEALTH_TIMEOUT:-1.5}
pause=${DINGO_HEALTH_RETRY_PAUSE:-0.3}

if ! command -v curl >/dev/null 2>&1; then
  echo "check_gateway: curl not found" >&2
  exit 2
fi

# 0: ready; 7: nothing listens (curl's "couldn't connect"); 1: anything else.
probe() {
  # The status code goes on a line of its own after the body; no -f, so a 503 body is read too.
  response=$(curl -sS --max-time "$timeout" --connect-timeout "$timeout" -w '\n%{http_code}' "$url" 2>/dev/null)
  rc=$?
  [ "$rc" -eq 7 ] && return 7
  [ "$rc" -eq 0 ] || return 1
  code=$(printf '%s\n' "$response" | tail -n 1)
  body=$(printf '%s\n' "$response" | sed '$d')
  [ "$code" = "200" ] || return 1
  # Component entries say "up"/"down"; only the overall verdict says "ok" (or "error").
  printf '%s' "$body" | grep -Eq '"status"[[:space:]]*:[[:space:]]*"ok"' || return 1
  return 0
}

probe
case $? in
  0) exit 0 ;;
  7) exit 1 ;;
esac
sleep "$pause"
probe && exit 0
exit 1

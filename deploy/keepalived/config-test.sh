#!/bin/sh
# `keepalived --config-test` with a verdict you can chain on (`config-test.sh && systemctl reload
# keepalived`): exit 0 when the configuration is valid, non-zero otherwise.
#   config-test.sh [/etc/keepalived/keepalived.conf]
#
# Why not keepalived -t alone: keepalived 2.2.7 (Debian 12's) kills itself with SIGTERM (exit 143)
# while it checks the first script that runs as a non-root user (script_user), whatever the
# configuration; it never reports on the rest. Fixed upstream in 2.2.8 (commit aae8e91). On 143,
# this tests a copy of the configuration whose scripts run as root (everything else unchanged),
# then checks separately that the script user exists and can execute every script.
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

conf=${1:-/etc/keepalived/keepalived.conf}
[ -r "$conf" ] || { echo "config-test: cannot read $conf" >&2; exit 2; }

# In a child shell, so its "Terminated" notice is captured with the rest.
out=$(sh -c 'keepalived --config-test -f "$1"' config-test "$conf" 2>&1)
rc=$?
if [ "$rc" -ne 143 ]; then
  [ -n "$out" ] && printf '%s\n' "$out" >&2
  exit "$rc"
fi

# Same directory, so relative include paths resolve as in the real file.
copy=$(mktemp "$(dirname "$conf")/.config-test.XXXXXX") || exit 2
trap 'rm -f "$copy"' EXIT
sed -E 's/^([[:space:]]*script_user)[[:space:]].*$/\1 root/' "$conf" >"$copy"
keepalived --config-test -f "$copy"
rc=$?
[ "$rc" -eq 0 ] || exit "$rc"

user=$(sed -nE 's/^[[:space:]]*script_user[[:space:]]+([^[:space:]#]+).*/\1/p' "$conf" | head -n 1)
user=${user:-keepalived_script}
if ! id "$user" >/dev/null 2>&1; then
  echo "config-test: script user $user does not exist (useradd -r -M -s /usr/sbin/nologin $user)" >&2
  exit 5
fi
# Track scripts (script "…") run as the script user; notify scripts marked root run as root.
for s in $(sed -nE 's/^[[:space:]]*script[[:space:]]+"?([^"[:space:]]+).*/\1/p' "$conf"); do
  if ! runuser -u "$user" -- test -x "$s"; then
    echo "config-test: $user cannot execute $s" >&2
    exit 5
  fi
done
exit 0

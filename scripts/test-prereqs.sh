#!/usr/bin/env bash
# What `npm test` needs beyond node_modules, made idempotently before the suites run:
#  - the Python client set-ups (venvs from pip's local index: e2e/python/setup-venvs.sh);
#  - for the HA suite (network namespaces, Debian's keepalived): its packages and the
#    keepalived_script user, installed when running as root and missing.
# Without root the HA suite reports what is missing and fails; it never passes silently.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ]; then
  need=()
  for pkg_cmd in keepalived:keepalived iproute2:ip iptables:iptables curl:curl; do
    command -v "${pkg_cmd#*:}" >/dev/null 2>&1 || need+=("${pkg_cmd%%:*}")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "== apt-get install ${need[*]}"
    apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
      { apt-get update -qq && apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
  fi
  # keepalived runs track scripts as this user (deploy/keepalived/README.md).
  id keepalived_script >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin keepalived_script
fi

t0=$SECONDS
bash e2e/python/setup-venvs.sh
echo "== Python client set-ups ready in $((SECONDS - t0)) s"

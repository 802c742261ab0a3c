#!/usr/bin/env bash
# What `npm test` needs beyond node_modules, made idempotently before the suites run:
#  - the Python client set-ups (venvs from pip's local index: e2e/python/setup-venvs.sh);
#  - promtool (from Debian's prometheus package, extracted, not installed);
#  - Chromium (Debian's package) for the web console's browser tests (e2e/console, playwright-core);
#  - for the HA suite (network namespaces, Debian's keepalived): its packages and the
#    keepalived_script user, installed when running as root and missing.
# Without root the HA suite reports what is missing and fails; it never passes silently.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ]; then
  need=()
  for pkg_cmd in keepalived:keepalived iproute2:ip iptables:iptables curl:curl chromium:chromium; do
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

# promtool (alert unit tests, `promtool check metrics`): taken from Debian's prometheus package
# without installing it (that would start a Prometheus server).
tools="${DINGO_TOOLS_DIR:-$HOME/.cache/dingospeed/tools}"
if ! command -v promtool >/dev/null 2>&1 && [ ! -x "$tools/promtool" ]; then
  echo "== promtool from Debian's prometheus package into $tools"
  scratch=$(mktemp -d)
  (cd "$scratch" && { apt-get download prometheus >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get download prometheus >/dev/null; }; })
  dpkg-deb -x "$scratch"/prometheus_*.deb "$scratch/x"
  mkdir -p "$tools" && cp "$scratch/x/usr/bin/promtool" "$tools/promtool"
  rm -rf "$scratch"
fi

t0=$SECONDS
bash e2e/python/setup-venvs.sh
echo "== Python client set-ups ready in $((SECONDS - t0)) s"

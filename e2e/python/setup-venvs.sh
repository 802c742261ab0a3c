#!/usr/bin/env bash
# Creates the Python client set-ups the e2e/python suite runs against, idempotently:
#   hub2      huggingface_hub 2.0.0 WITHOUT hf_xet
#   hub2-xet  huggingface_hub 2.0.0 + hf_xet 1.6.0 (what `pip install huggingface_hub` gives today)
#   hub1      huggingface_hub 1.33.0 + hf_xet + transformers 5.17 + datasets 5.0 + torch (CPU);
#             transformers 5.17 and datasets 5.0 both require huggingface_hub < 2.0
# A venv whose stamp matches its requirement list is left alone. `dingospeed` (clients/python)
# is (re)installed into every venv on every run, so the suite always tests the checkout's code.
#
# Env: DINGO_PY_VENVS (where the venvs live; default ~/.cache/dingospeed/py-venvs, outside the repo
# so jest/eslint/tsc never crawl site-packages), DINGO_PYTHON (default python3),
# DINGO_PIP_INDEX (space-separated index URLs; default: pip's configured extra-index-url, i.e. the
# machine's local index; PyPI is never tried implicitly).
# Fails loudly (non-zero, with the reason) when Python or a package cannot be installed.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENVS="${DINGO_PY_VENVS:-$HOME/.cache/dingospeed/py-venvs}"
PY="${DINGO_PYTHON:-python3}"
ONLY="${1:-}" # optional: one set-up name

die() { echo "setup-venvs: $*" >&2; exit 1; }

command -v "$PY" >/dev/null || die "no Python interpreter '$PY' on PATH (set DINGO_PYTHON)"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 9))' || die "$PY is older than 3.9"
"$PY" -c 'import venv, ensurepip' 2>/dev/null || die "$PY lacks venv/ensurepip (apt-get install python3-venv)"

INDEXES="${DINGO_PIP_INDEX:-$("$PY" -m pip config get global.extra-index-url 2>/dev/null || true)}"
[ -n "$INDEXES" ] || die "no pip index configured: set DINGO_PIP_INDEX (space-separated URLs) or pip's global.extra-index-url"
read -r -a IDX <<<"$INDEXES"
PIP_INDEX_ARGS=(--index-url "${IDX[0]}")
for extra in "${IDX[@]:1}"; do PIP_INDEX_ARGS+=(--extra-index-url "$extra"); done

COMMON=(pytest==9.1.1 pytest-timeout==2.4.0 setuptools==80.9.0)
declare -A REQS=(
  [hub2]="huggingface_hub==2.0.0"
  [hub2-xet]="huggingface_hub==2.0.0 hf_xet==1.6.0"
  [hub1]="huggingface_hub==1.33.0 hf_xet==1.6.0 transformers==5.17.0 datasets==5.0.1 torch==2.13.0+cpu"
)
# A set-up without hf_xet: pip pulls it in as a dependency, so it is removed after the install.
declare -A WITHOUT=([hub2]="hf_xet")

# pip 23 warns about every package missing from the second local index: keep its real errors only.
pip_in() {
  "$1/bin/python" -m pip --disable-pip-version-check --no-input "${@:2}" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

setup_one() {
  local name="$1" dir="$VENVS/$1"
  local reqs="${REQS[$name]} ${COMMON[*]}" without="${WITHOUT[$name]:-}"
  local stamp="python=$("$PY" -c 'import sys; print(sys.version.split()[0])') reqs=$reqs without=$without"
  if [ -f "$dir/.dingo-stamp" ] && [ "$(cat "$dir/.dingo-stamp")" = "$stamp" ] && [ -x "$dir/bin/python" ]; then
    echo "== $name: up to date ($dir)"
  else
    local t0=$SECONDS
    echo "== $name: creating $dir ($reqs${without:+, without $without})"
    rm -rf "$dir"
    "$PY" -m venv "$dir" || die "$name: venv creation failed"
    # shellcheck disable=SC2086
    pip_in "$dir" install --quiet "${PIP_INDEX_ARGS[@]}" $reqs || die "$name: pip install failed ($reqs)"
    if [ -n "$without" ]; then
      # shellcheck disable=SC2086
      pip_in "$dir" uninstall --quiet --yes $without || die "$name: could not remove $without"
    fi
    echo "$stamp" >"$dir/.dingo-stamp"
    echo "== $name: created in $((SECONDS - t0)) s"
  fi
  # The checkout's dingospeed package, installed the way a user would (pip install ./clients/python).
  pip_in "$dir" install --quiet --no-deps --no-build-isolation --force-reinstall "$ROOT/clients/python" \
    || die "$name: pip install ./clients/python failed"
  "$dir/bin/python" - "$without" <<'EOF' || die "$name: installed packages do not import as expected"
import importlib.metadata as md, importlib.util, sys
absent = sys.argv[1].split()
for mod in ["huggingface_hub", "pytest", "dingospeed"]:
    __import__(mod)
for mod in absent:
    if importlib.util.find_spec(mod) is not None:
        sys.exit(f"{mod} must not be installed here")
print("   ", ", ".join(f"{d} {md.version(d)}" for d in
    ["huggingface_hub", "hf_xet", "transformers", "datasets", "torch"] if importlib.util.find_spec(d.replace("-", "_"))))
EOF
}

mkdir -p "$VENVS"
for name in hub2 hub2-xet hub1; do
  if [ -z "$ONLY" ] || [ "$ONLY" = "$name" ]; then setup_one "$name"; fi
done

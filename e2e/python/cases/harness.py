"""Helpers shared by the cases: the world description, the control API, subprocesses."""

import hashlib
import json
import os
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from pathlib import Path

SETUP = os.environ.get("DINGO_PY_SETUP", "?")
FEATURES = {f for f in os.environ.get("DINGO_PY_FEATURES", "").split(",") if f}
ENDPOINT = os.environ["HF_ENDPOINT"]
CONTROL = os.environ["DINGO_CONTROL"]
WORLD = json.loads(Path(os.environ["DINGO_WORLD"]).read_text())
FIXTURES = Path(WORLD["fixturesDir"])
TOKEN = WORLD["tokens"]["reader"]
OTHER_TOKEN = WORLD["tokens"]["other"]
TREE_PAGE_SIZE = WORLD["treePageSize"]
BIN = Path(sys.executable).parent


class Repo:
    def __init__(self, key: str):
        self.raw = WORLD["repos"][key]
        self.type = self.raw["type"]
        self.id = self.raw["id"]
        self.refs = self.raw["refs"]

    def commit(self, rev: str = "main") -> dict:
        """The commit a branch/tag/refs/… name, a full sha or a short sha points at."""
        sha = self.refs.get(rev)
        for c in self.raw["commits"]:
            if sha == c["sha"] or (sha is None and len(rev) >= 7 and c["sha"].startswith(rev)):
                return c
        raise KeyError(f"{self.id}: no revision {rev}")

    def files(self, rev: str = "main") -> dict:
        return self.commit(rev)["files"]

    def file(self, path: str, rev: str = "main") -> dict:
        return self.files(rev)[path]

    def content(self, path: str, rev: str = "main") -> bytes:
        return Path(self.file(path, rev)["diskPath"]).read_bytes()


def repo(repo_id: str, repo_type: str = "model") -> Repo:
    return Repo(f"{repo_type}:{repo_id}")


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- control API ---------------------------------------------------------------------------------


def control(method: str, path: str, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(CONTROL + path, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as res:
        return json.loads(res.read() or b"null")


def last_seq() -> int:
    return control("GET", "/requests/last-seq")


def requests_since(seq: int, server: str = "gateway") -> list:
    return control("GET", f"/requests?since={seq}&server={server}")


def summarize(requests: list) -> str:
    """'HEAD /org/x/resolve/main/a.json -> 503 x6' lines, one per distinct request and answer."""
    counts: dict = {}
    for r in requests:
        key = f"{r['method']} {r['url']} -> {r.get('status')}"
        counts[key] = counts.get(key, 0) + 1
    return "\n".join(f"  {k}" + (f" x{n}" if n > 1 else "") for k, n in counts.items())


@contextmanager
def upstream_stopped():
    """The upstream hub is unreachable inside the block (connections refused), back afterwards."""
    control("POST", "/sim/stop")
    try:
        yield
    finally:
        control("POST", "/sim/restart")


# --- subprocesses --------------------------------------------------------------------------------


def client_env(hf_home, **extra) -> dict:
    """The environment of a user who set HF_ENDPOINT and nothing else (plus a private HF_HOME)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "DINGO_"))}
    env.update(HF_ENDPOINT=ENDPOINT, HF_HOME=str(hf_home), HF_HUB_DISABLE_TELEMETRY="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(args, env, timeout=180, check=True) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, args))} exited {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}\n"
            f"--- stderr\n{proc.stderr[-6000:]}"
        )
    return proc


def python(code: str, env, timeout=180, check=True) -> subprocess.CompletedProcess:
    return run([sys.executable, "-c", code], env, timeout=timeout, check=check)


def hf_cli(*args, env, timeout=180, check=True) -> subprocess.CompletedProcess:
    return run([str(BIN / "hf"), *args], env, timeout=timeout, check=check)

"""datasets.load_dataset through the mirror: CSV and parquet repos, the refs/convert/parquet branch,
streaming (HfFileSystem range reads), and a load with the upstream down. Each load runs in a fresh
process with its own HF_HOME, as a user's script would."""

import json

import pytest

import time

from harness import FIXTURES, client_env, last_seq, requests_since, summarize, upstream_stopped

pytestmark = pytest.mark.needs("datasets")

SPLITS = json.loads((FIXTURES / "expected.json").read_text())["splits"]

LOAD = """
import json, sys
from datasets import load_dataset
kwargs = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
ds = load_dataset(*kwargs.pop("args"), **kwargs)
if kwargs.get("streaming"):
    print(json.dumps({split: list(ds[split]) for split in ds}))
else:
    print(json.dumps({split: ds[split].to_list() for split in ds}))
"""


def load(home, *args, deadline=300, **kwargs):
    """The splits as lists of rows, or None if the load did not finish within `deadline` seconds."""
    import subprocess
    import sys

    env = client_env(home)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", LOAD, json.dumps({"args": list(args), **kwargs})],
            env=env, capture_output=True, text=True, timeout=deadline,
        )
    except subprocess.TimeoutExpired:
        return None
    assert proc.returncode == 0, f"load_dataset{args} {kwargs} failed:\n{proc.stderr[-6000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def normalized(rows):
    return sorted((json.dumps(r, sort_keys=True) for r in rows))


def assert_splits(got):
    assert sorted(got) == sorted(SPLITS)
    for split, rows in SPLITS.items():
        assert normalized(got[split]) == normalized(rows), split


def test_load_dataset_csv(tmp_path):
    assert_splits(load(tmp_path / "home", "org/csv-data"))


def test_load_dataset_parquet(tmp_path):
    assert_splits(load(tmp_path / "home", "org/parquet-data"))


def test_load_dataset_refs_convert_parquet(tmp_path):
    assert_splits(load(tmp_path / "home", "org/csv-data", revision="refs/convert/parquet"))


def test_load_dataset_streaming(tmp_path):
    assert_splits(load(tmp_path / "home", "org/parquet-data", streaming=True))


def test_load_dataset_with_the_upstream_down(tmp_path):
    """A new client loads what the mirror has cached, about as fast as online: within 1.5x + 2 s
    (cut off there; huggingface_hub's 5xx backoff on files the repo lacks would take minutes)."""
    t0 = time.time()
    load(tmp_path / "warm", "org/parquet-data")
    online = time.time() - t0
    deadline = 1.5 * online + 2
    seq = last_seq()
    with upstream_stopped():
        got = load(tmp_path / "cold", "org/parquet-data", deadline=deadline)
    seen = requests_since(seq)
    print(f"online: {online:.1f} s; the mirror answered with the upstream down:\n{summarize(seen)}")
    assert got is not None, (
        f"load_dataset with the upstream down did not finish within {deadline:.1f} s (online: {online:.1f} s); "
        "the mirror answered with 5xx:\n" + summarize([r for r in seen if (r.get("status") or 0) >= 500])
    )
    assert_splits(got)

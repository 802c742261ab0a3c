"""Resume after the client is killed mid-file, HF_HUB_OFFLINE=1 after a warm download, and downloads
while the upstream hub is down (the mirror's cache serves them)."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from huggingface_hub import hf_hub_download, list_repo_files, model_info, snapshot_download
from huggingface_hub.errors import LocalEntryNotFoundError

from harness import ENDPOINT, client_env, control, last_seq, python, repo, requests_since, sha256_file, upstream_stopped

BIG = repo("org/big")
MODEL = repo("org/model")
MANY = repo("org/many-files")

MiB = 1024 * 1024
DOWNLOAD = "import sys; from huggingface_hub import hf_hub_download; print(hf_hub_download('org/big', sys.argv[2], cache_dir=sys.argv[1]))"


def _partial(cache: Path):
    """The client's partial file: blobs/<etag>.<8 hex>.incomplete (process-unique since huggingface_hub 1.x)."""
    blobs = cache / "models--org--big" / "blobs"
    return next(iter(blobs.glob("*.incomplete")), None) if blobs.exists() else None


def _stalled_client(cache: Path, env: dict, name: str) -> subprocess.Popen:
    """Starts a client on org/big/big.bin and returns once it holds a partial file and gets no more bytes.

    huggingface_hub writes its partial file 10 MiB at a time (DOWNLOAD_CHUNK_SIZE), so the client must
    stall after more than 10 MiB: the mirror is made to hold the first 11 MiB, and the upstream then
    stalls on the next chunk the mirror pulls."""
    f = BIG.file(name)
    warm = urllib.request.Request(f"{ENDPOINT}/org/big/resolve/main/{name}", headers={"Range": f"bytes=0-{11 * MiB - 1}"})
    with urllib.request.urlopen(warm, timeout=60) as res:
        assert len(res.read()) == 11 * MiB
    control("POST", "/sim/fault", {"match": f["sha256"], "fault": {"kind": "stall", "afterBytes": 100_000}, "times": 1})
    child = subprocess.Popen([sys.executable, "-c", DOWNLOAD, str(cache), name], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    size, stable_since, deadline = -1, time.time(), time.time() + 60
    while time.time() < deadline:
        part = _partial(cache)
        now = part.stat().st_size if part else -1
        if now != size:
            size, stable_since = now, time.time()
        elif size > 0 and time.time() - stable_since > 0.5:
            return child
        if child.poll() is not None:
            raise AssertionError(f"the client finished before it stalled: {child.communicate()}")
        time.sleep(0.05)
    child.kill()
    raise AssertionError(f"no stalled partial file within 60 s (last size {size})")


def _release_upstream():
    control("POST", "/sim/clear-faults")
    control("POST", "/sim/drop-connections")  # the stalled upstream transfer fails now; the mirror pulls it again


def _client_range_gets(seq):
    """Range GETs of big.bin sent by huggingface_hub (not the test's own warm-up request)."""
    return [
        r for r in requests_since(seq)
        if r["url"].endswith("/big.bin") and r.get("range") and "hf_hub" in (r.get("userAgent") or "")
    ]


def test_client_resumes_with_a_range_request_after_a_stalled_transfer(tmp_path):
    """huggingface_hub's http_get resumes itself (Range: bytes=<written>-) when a transfer times out."""
    f = BIG.file("big.bin")
    seq = last_seq()
    child = _stalled_client(tmp_path / "cache", client_env(tmp_path / "home", HF_HUB_DOWNLOAD_TIMEOUT=3), "big.bin")
    try:
        deadline = time.time() + 30
        while not _client_range_gets(seq):
            assert time.time() < deadline, "the client did not retry with a Range request"
            time.sleep(0.1)
    finally:
        _release_upstream()
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err[-4000:]
    assert sha256_file(out.strip().splitlines()[-1]) == f["sha256"]
    resumed = _client_range_gets(seq)
    assert len(resumed) == 1 and resumed[0]["status"] == 206, resumed
    # The client resumes from what it wrote: whole 10 MiB blocks (DOWNLOAD_CHUNK_SIZE).
    start = int(resumed[0]["range"].removeprefix("bytes=").removesuffix("-"))
    assert 0 < start < f["size"] and start % (10 * MiB) == 0, resumed


def test_download_after_the_client_is_killed_mid_file(tmp_path):
    """kill -9 mid-file, then run again: the file is right and the mirror did not fetch it twice.

    (huggingface_hub >= 1.x writes a process-unique <etag>.<id>.incomplete and never resumes another
    process's partial file, so the second run is a full GET; what must not be repeated is the upstream
    transfer behind it.)"""
    f = BIG.file("killed.bin")
    cache = tmp_path / "cache"
    env = client_env(tmp_path / "home")
    before = control("GET", f"/sim/bytes?sha256={f['sha256']}")
    child = _stalled_client(cache, env, "killed.bin")
    try:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
        _release_upstream()
    part = _partial(cache)
    assert part is not None and 0 < part.stat().st_size < f["size"], "the killed client left no partial file"

    out = subprocess.run([sys.executable, "-c", DOWNLOAD, str(cache), "killed.bin"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-4000:]
    assert sha256_file(out.stdout.strip().splitlines()[-1]) == f["sha256"]
    upstream = control("GET", f"/sim/bytes?sha256={f['sha256']}") - before
    assert upstream <= f["size"] + 2 * MiB, f"the upstream sent {upstream} bytes for a {f['size']}-byte file"


def test_hf_hub_offline_after_a_warm_download(tmp_path):
    env = client_env(tmp_path / "home")
    warm = (
        "from huggingface_hub import hf_hub_download, snapshot_download\n"
        "print(snapshot_download('org/many-files'))\n"
        "print(hf_hub_download('org/model', 'model.safetensors'))\n"
        "print(hf_hub_download('org/model', 'config.json', revision='v1.0'))\n"
    )
    online = python(warm, env).stdout.split()
    seq = last_seq()
    offline = python(warm, {**env, "HF_HUB_OFFLINE": "1"}).stdout.split()
    assert offline == online
    assert requests_since(seq) == [], "HF_HUB_OFFLINE=1 must not send any request"
    for name, f in MANY.files().items():
        assert sha256_file(Path(offline[0]) / name) == f["sha256"]


def test_downloads_with_the_upstream_stopped(tmp_path):
    """What the mirror has seen, a new client gets while the upstream is down: files, info, listings."""
    warm, cold = str(tmp_path / "warm"), str(tmp_path / "cold")
    names = ["config.json", "model.safetensors", "nested/deeper/weights.bin"]
    for name in names:
        hf_hub_download("org/model", name, cache_dir=warm)
    snapshot_download("org/many-files", cache_dir=warm)
    model_info("org/model")
    list_repo_files("org/model")
    with upstream_stopped():
        t0 = time.time()
        for name in names:
            assert sha256_file(hf_hub_download("org/model", name, cache_dir=cold)) == MODEL.file(name)["sha256"]
        folder = snapshot_download("org/many-files", cache_dir=cold)
        for name, f in MANY.files().items():
            assert sha256_file(os.path.join(folder, name)) == f["sha256"]
        assert model_info("org/model").sha == MODEL.commit()["sha"]
        assert sorted(list_repo_files("org/model")) == sorted(MODEL.files())
        elapsed = time.time() - t0
    assert elapsed < 20, f"served from the mirror's cache, yet it took {elapsed:.1f} s"


def test_uncached_file_with_the_upstream_stopped_fails_fast_with_the_clients_error(tmp_path):
    """A file the mirror never fetched cannot be served: the client raises its 'not in cache' error."""
    hf_hub_download("org/offline-probe", "fetched.json", cache_dir=str(tmp_path / "warm"))
    with upstream_stopped():
        t0 = time.time()
        with pytest.raises(LocalEntryNotFoundError):
            hf_hub_download("org/offline-probe", "never-fetched.bin", cache_dir=str(tmp_path / "c"))
        elapsed = time.time() - t0
    # The mirror answers 503 like a Hub that is down; huggingface_hub then retries with backoff
    # (file_download.py, `_DEFAULT_RETRY_ON_STATUS_CODES`: 1+2+4+8+8 s) before it gives up.
    print(f"uncached file, upstream down: LocalEntryNotFoundError after {elapsed:.1f} s")
    assert elapsed < 40, f"took {elapsed:.1f} s"

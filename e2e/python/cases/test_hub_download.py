"""huggingface_hub downloads through the mirror: hf_hub_download, snapshot_download, revisions."""

import os
from pathlib import Path

import pytest
from huggingface_hub import hf_hub_download, list_repo_files, model_info, dataset_info, snapshot_download

from harness import last_seq, repo, requests_since, sha256_file

MODEL = repo("org/model")
CSV = repo("org/csv-data", "dataset")


def assert_snapshot_file(path: str, r, filename: str, rev: str = "main") -> None:
    """The client's cache layout: snapshots/<commit>/<path> -> blobs/<etag>, with the upstream's bytes."""
    f = r.file(filename, rev)
    p = Path(path)
    assert p.parts[-1 - len(Path(filename).parts)] == r.commit(rev)["sha"], f"{path} is not under the commit's snapshot"
    assert sha256_file(p) == f["sha256"], f"{filename}@{rev}: bytes differ from upstream"
    # The blob is named by the etag: the git blob id for regular files, the sha256 for LFS ones.
    assert p.resolve().name == (f["sha256"] if f["lfs"] else f["blobId"])


def test_hf_hub_download_regular_files(cache_dir):
    for name in ["config.json", "tokenizer.json", "README.md"]:
        assert_snapshot_file(hf_hub_download("org/model", name, cache_dir=cache_dir), MODEL, name)


def test_hf_hub_download_lfs_files(cache_dir):
    for name in ["model.safetensors", "nested/deeper/weights.bin"]:
        assert_snapshot_file(hf_hub_download("org/model", name, cache_dir=cache_dir), MODEL, name)


def test_hf_hub_download_xet_backed_file_over_http(cache_dir):
    """Upstream marks xet.safetensors as Xet-backed; through the mirror it must come over plain HTTP."""
    seq = last_seq()
    assert_snapshot_file(hf_hub_download("org/model", "xet.safetensors", cache_dir=cache_dir), MODEL, "xet.safetensors")
    gets = [r for r in requests_since(seq) if r["method"] == "GET" and r["url"].endswith("/xet.safetensors")]
    assert gets, "the bytes did not come from the mirror's resolve route"


def test_hf_hub_download_dataset_file(cache_dir):
    p = hf_hub_download("org/csv-data", "train.csv", repo_type="dataset", cache_dir=cache_dir)
    assert_snapshot_file(p, CSV, "train.csv")


def test_hf_hub_download_to_local_dir(tmp_path):
    out = tmp_path / "out"
    p = hf_hub_download("org/model", "nested/deeper/weights.bin", local_dir=out)
    assert Path(p) == out / "nested/deeper/weights.bin"
    assert sha256_file(p) == MODEL.file("nested/deeper/weights.bin")["sha256"]


def test_snapshot_download_allow_patterns(cache_dir):
    folder = snapshot_download("org/model", allow_patterns=["*.json", "nested/**"], cache_dir=cache_dir)
    got = sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*") if p.is_file())
    assert got == ["config.json", "nested/deeper/weights.bin", "tokenizer.json"]
    for name in got:
        assert_snapshot_file(os.path.join(folder, name), MODEL, name)


def test_snapshot_download_whole_repo(cache_dir):
    folder = snapshot_download("org/model", cache_dir=cache_dir)
    got = sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*") if p.is_file())
    assert got == sorted(MODEL.files())
    for name in got:
        assert_snapshot_file(os.path.join(folder, name), MODEL, name)


def test_snapshot_download_dataset_to_local_dir(tmp_path):
    folder = snapshot_download("org/parquet-data", repo_type="dataset", local_dir=tmp_path / "ds")
    data = repo("org/parquet-data", "dataset")
    for name, f in data.files().items():
        assert sha256_file(Path(folder) / name) == f["sha256"]


SHA0 = MODEL.refs["v1.0"]
REVISIONS = {
    "main": "main",
    "branch": "dev",
    "branch with a slash": "feature/new-tok",
    "tag": "v1.0",
    "full commit": SHA0,
    "short commit": SHA0[:7],
    "refs/pr/1": "refs/pr/1",
}


@pytest.mark.parametrize("rev", list(REVISIONS.values()), ids=list(REVISIONS))
def test_revision(rev, cache_dir):
    commit = MODEL.commit(rev)
    p = hf_hub_download("org/model", "config.json", revision=rev, cache_dir=cache_dir)
    assert_snapshot_file(p, MODEL, "config.json", rev)
    if rev != commit["sha"] and not (len(rev) < 40 and commit["sha"].startswith(rev)):
        ref = Path(cache_dir) / "models--org--model" / "refs" / rev
        assert ref.read_text() == commit["sha"], "refs/<revision> must hold the commit"
    assert model_info("org/model", revision=rev).sha == commit["sha"]
    assert sorted(list_repo_files("org/model", revision=rev)) == sorted(commit["files"])
    folder = snapshot_download("org/model", revision=rev, allow_patterns=["*.json"], cache_dir=cache_dir)
    assert Path(folder).name == commit["sha"]
    assert_snapshot_file(os.path.join(folder, "tokenizer.json"), MODEL, "tokenizer.json", rev)


def test_revision_refs_convert_parquet(cache_dir):
    rev = "refs/convert/parquet"
    commit = CSV.commit(rev)
    seq = last_seq()
    p = hf_hub_download("org/csv-data", "default/train/0000.parquet", repo_type="dataset", revision=rev, cache_dir=cache_dir)
    assert_snapshot_file(p, CSV, "default/train/0000.parquet", rev)
    assert dataset_info("org/csv-data", revision=rev).sha == commit["sha"]
    assert sorted(list_repo_files("org/csv-data", repo_type="dataset", revision=rev)) == sorted(commit["files"])
    folder = snapshot_download("org/csv-data", repo_type="dataset", revision=rev, cache_dir=cache_dir)
    assert sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*") if p.is_file()) == sorted(commit["files"])
    # The client sends the revision percent-encoded as one path segment.
    assert any("refs%2Fconvert%2Fparquet" in r["url"] for r in requests_since(seq))


def test_second_download_is_served_from_the_client_cache(cache_dir):
    hf_hub_download("org/model", "model.safetensors", cache_dir=cache_dir)
    seq = last_seq()
    hf_hub_download("org/model", "model.safetensors", cache_dir=cache_dir)
    again = requests_since(seq)
    assert [r["method"] for r in again] == ["HEAD"], f"expected one HEAD revalidation, got {again}"

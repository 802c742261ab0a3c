"""The `hf download` CLI, as a user runs it: only HF_ENDPOINT set, a private HF_HOME."""

from pathlib import Path

import pytest

from harness import client_env, hf_cli, repo, sha256_file

MODEL = repo("org/model")
CSV = repo("org/csv-data", "dataset")


def assert_folder(folder: Path, r, rev: str = "main", only=None) -> None:
    expected = {p: f for p, f in r.files(rev).items() if only is None or p in only}
    got = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and ".cache" not in p.parts)
    assert got == sorted(expected)
    for path, f in expected.items():
        assert sha256_file(folder / path) == f["sha256"], path


def test_hf_download_one_file(tmp_path):
    out = hf_cli("download", "-q", "org/model", "config.json", env=client_env(tmp_path / "home"))
    path = Path(out.stdout.strip().splitlines()[-1])
    assert path.read_bytes() == MODEL.content("config.json")
    assert MODEL.commit()["sha"] in path.parts


def test_hf_download_include_to_local_dir(tmp_path):
    hf_cli(
        "download", "org/model", "--include", "*.json", "--include", "nested/*", "--local-dir", str(tmp_path / "out"),
        env=client_env(tmp_path / "home"),
    )
    assert_folder(tmp_path / "out", MODEL, only={"config.json", "tokenizer.json", "nested/deeper/weights.bin"})


def test_hf_download_dataset_revision(tmp_path):
    out = hf_cli(
        "download", "-q", "org/csv-data", "--repo-type", "dataset", "--revision", "refs/convert/parquet",
        env=client_env(tmp_path / "home"),
    )
    assert_folder(Path(out.stdout.strip().splitlines()[-1]), CSV, "refs/convert/parquet")


@pytest.mark.parametrize("attempt", range(1, 6))
def test_hf_download_whole_repo_five_times(attempt, tmp_path):
    """Five fresh downloads of a repo with LFS and Xet-backed files: each must succeed over HTTP."""
    out = hf_cli("download", "-q", "org/model", env=client_env(tmp_path / "home"))
    assert_folder(Path(out.stdout.strip().splitlines()[-1]), MODEL)

"""huggingface_hub's Hub API calls through the mirror: info, listings, paths-info, exists, refs."""

import pytest
from huggingface_hub import (
    HfApi,
    dataset_info,
    file_exists,
    get_paths_info,
    list_datasets,
    list_models,
    list_repo_files,
    list_repo_refs,
    list_repo_tree,
    model_info,
    repo_exists,
    whoami,
)
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.hf_api import RepoFile, RepoFolder

from harness import ENDPOINT, TOKEN, TREE_PAGE_SIZE, last_seq, repo, requests_since

MODEL = repo("org/model")
MANY = repo("org/many-files")
CSV = repo("org/csv-data", "dataset")


def test_model_info():
    info = model_info("org/model")
    assert info.id == "org/model"
    assert info.sha == MODEL.commit()["sha"]
    assert sorted(s.rfilename for s in info.siblings) == sorted(MODEL.files())
    assert info.pipeline_tag == "text-generation" and info.library_name == "transformers"
    assert info.private is False and info.gated is False


def test_model_info_files_metadata():
    info = model_info("org/model", files_metadata=True)
    for s in info.siblings:
        f = MODEL.file(s.rfilename)
        assert s.size == f["size"] and s.blob_id == f["blobId"], s.rfilename
        if f["lfs"]:
            assert s.lfs is not None and s.lfs.sha256 == f["sha256"] and s.lfs.size == f["size"], s.rfilename
        else:
            assert s.lfs is None, s.rfilename


def test_dataset_info():
    info = dataset_info("org/csv-data")
    assert info.id == "org/csv-data" and info.sha == CSV.commit()["sha"]
    assert sorted(s.rfilename for s in info.siblings) == sorted(CSV.files())
    assert HfApi().repo_info("org/csv-data", repo_type="dataset").sha == info.sha


def test_list_repo_files_over_a_paginated_repo():
    seq = last_seq()
    files = list_repo_files("org/many-files")
    assert sorted(files) == sorted(MANY.files())
    pages = [r for r in requests_since(seq) if "/tree/" in r["url"]]
    assert len(pages) >= len(MANY.files()) // TREE_PAGE_SIZE, f"expected the listing in pages, got {pages}"
    assert any("cursor=" in r["url"] for r in pages), "the next pages must be requested from the mirror"


def test_list_repo_tree_recursive_expanded():
    entries = list(list_repo_tree("org/many-files", recursive=True, expand=True))
    files = {e.path: e for e in entries if isinstance(e, RepoFile)}
    folders = {e.path for e in entries if isinstance(e, RepoFolder)}
    assert sorted(files) == sorted(MANY.files())
    assert {"configs", "shards", "deep", "deep/a", "deep/a/b", "deep/a/b/c"} <= folders
    for path, e in files.items():
        f = MANY.file(path)
        assert e.size == f["size"] and e.blob_id == f["blobId"], path
        assert (e.lfs is not None) == f["lfs"], path
        assert e.last_commit is not None, f"{path}: expand=True must bring lastCommit"
    assert files["shards/big.bin"].lfs.sha256 == MANY.file("shards/big.bin")["sha256"]


def test_list_repo_tree_of_a_folder():
    entries = list(list_repo_tree("org/many-files", path_in_repo="shards"))
    assert sorted(e.path for e in entries) == sorted(p for p in MANY.files() if p.startswith("shards/"))
    top = list(list_repo_tree("org/many-files"))
    assert sorted(e.path for e in top) == ["README.md", "configs", "deep", "shards"]


def test_get_paths_info():
    infos = get_paths_info("org/many-files", ["README.md", "shards", "shards/big.bin", "no/such.file"], expand=True)
    by_path = {i.path: i for i in infos}
    assert sorted(by_path) == ["README.md", "shards", "shards/big.bin"]
    assert isinstance(by_path["README.md"], RepoFile) and by_path["README.md"].size == MANY.file("README.md")["size"]
    assert isinstance(by_path["shards"], RepoFolder)
    assert by_path["shards/big.bin"].lfs.sha256 == MANY.file("shards/big.bin")["sha256"]
    parquet = get_paths_info(
        "org/csv-data", ["default/train/0000.parquet"], repo_type="dataset", revision="refs/convert/parquet"
    )
    assert [p.blob_id for p in parquet] == [CSV.file("default/train/0000.parquet", "refs/convert/parquet")["blobId"]]


def test_file_exists_and_repo_exists():
    assert file_exists("org/model", "config.json")
    assert file_exists("org/model", "nested/deeper/weights.bin")
    assert not file_exists("org/model", "no-such-file.txt")
    assert file_exists("org/model", "model.safetensors", revision="v1.0")
    assert not file_exists("org/model", "README.md", revision="v1.0")
    assert file_exists("org/csv-data", "default/test/0000.parquet", repo_type="dataset", revision="refs/convert/parquet")
    assert repo_exists("org/model")
    assert repo_exists("org/csv-data", repo_type="dataset")
    assert not repo_exists("org/no-such-repo")
    assert not repo_exists("org/model", repo_type="dataset")


def test_list_repo_refs():
    refs = list_repo_refs("org/model", include_pull_requests=True)
    assert {b.name: b.target_commit for b in refs.branches} == {
        "main": MODEL.refs["main"],
        "dev": MODEL.refs["dev"],
        "feature/new-tok": MODEL.refs["feature/new-tok"],
    }
    assert {t.name: t.target_commit for t in refs.tags} == {"v1.0": MODEL.refs["v1.0"]}
    assert [(p.ref, p.target_commit) for p in refs.pull_requests] == [("refs/pr/1", MODEL.refs["refs/pr/1"])]
    data = list_repo_refs("org/csv-data", repo_type="dataset")
    assert [(c.name, c.target_commit) for c in data.converts] == [("parquet", CSV.refs["refs/convert/parquet"])]


def test_list_models_and_datasets():
    assert "org/tiny-bert" in [m.id for m in list_models(search="tiny")]
    assert {"org/model", "org/many-files"} <= {m.id for m in list_models(author="org")}
    assert {"org/csv-data", "org/parquet-data"} <= {d.id for d in list_datasets(author="org")}


def test_whoami_with_the_users_token():
    assert whoami(token=TOKEN)["name"] == "alice"
    with pytest.raises(HfHubHTTPError) as e:
        whoami(token="hf_not_a_token")
    assert e.value.response.status_code == 401


def test_xet_read_token_does_not_hand_out_the_upstream_storage():
    """The route hf_xet asks for CAS credentials (X-Xet-Refresh-Route / xet-read-token): whatever the
    mirror answers, it must not give the client the upstream's CAS address and token, which would let
    hf_xet fetch around the mirror."""
    from huggingface_hub.utils import get_session

    commit = MODEL.commit()["sha"]
    res = get_session().get(f"{ENDPOINT}/api/models/org/model/xet-read-token/{commit}")
    if res.status_code == 200:
        body = res.json() if "json" in res.headers.get("content-type", "") else {}
        cas = body.get("casUrl") or res.headers.get("X-Xet-Cas-Url")
        assert cas is None or cas.startswith(ENDPOINT), f"the mirror handed out the upstream CAS {cas}: {body}"

"""The real huggingface_hub client pushes to a hosted repo on the mirror and reads it back.

Run by hosted-python.e2e.spec.ts with HF_ENDPOINT (the gateway), HF_TOKEN (an uploader's mirror
token) and HF_HOME (a fresh directory); in distributed mode also with HF_READ_ENDPOINT (another
gateway of the same cluster), which then serves every download. Exits non-zero on the first failed check.
"""

import hashlib
import os
import sys
import tempfile

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import HfHubHTTPError

REPO = "acme/py-model"
# Where downloads go: the gateway pushed to, or another one of the cluster.
READ = {"endpoint": os.environ.get("HF_READ_ENDPOINT") or None}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main() -> None:
    api = HfApi()
    url = api.create_repo(REPO)
    assert url.repo_id == REPO, url
    # exist_ok=True swallows the 409; without it the 409 is raised.
    api.create_repo(REPO, exist_ok=True)
    try:
        api.create_repo(REPO)
        raise AssertionError("a second create_repo must fail")
    except HfHubHTTPError as err:
        assert err.response.status_code == 409, err.response.status_code
    try:
        api.create_repo("elsewhere/py-model")
        raise AssertionError("create_repo outside the local namespaces must fail")
    except HfHubHTTPError as err:
        assert err.response.status_code == 403, err.response.status_code

    small = b'{"model_type": "bert", "hidden_size": 32}\n'
    big = os.urandom(12 * 1024 * 1024 + 123)  # > 10 MB: LFS by size
    info = api.upload_file(path_or_fileobj=small, path_in_repo="config.json", repo_id=REPO)
    assert len(info.oid) == 40, info
    info = api.upload_file(path_or_fileobj=big, path_in_repo="weights/model.bin", repo_id=REPO)

    with tempfile.TemporaryDirectory() as folder:
        os.makedirs(os.path.join(folder, "data"))
        folder_files = {
            "README.md": b"# hosted on the mirror\n",
            "data/train.csv": b"a,b\n1,2\n3,4\n",
            "data/blob.safetensors": os.urandom(300_000),  # LFS by extension
        }
        for path, content in folder_files.items():
            with open(os.path.join(folder, path), "wb") as f:
                f.write(content)
        folder_commit = api.upload_folder(folder_path=folder, repo_id=REPO, commit_message="Add folder")

    # A commit with a delete, a branch and a tag.
    api.create_commit(
        REPO,
        operations=[
            CommitOperationDelete("data/train.csv"),
            CommitOperationAdd("data/test.csv", b"a,b\n5,6\n"),
        ],
        commit_message="Swap splits",
    )
    api.create_branch(REPO, branch="dev", revision=folder_commit.oid)
    api.create_tag(REPO, tag="v1", revision="main")
    refs = api.list_repo_refs(REPO)
    assert sorted(b.name for b in refs.branches) == ["dev", "main"], refs
    assert [t.name for t in refs.tags] == ["v1"], refs
    commits = api.list_repo_commits(REPO)
    assert [c.title for c in commits][:2] == ["Swap splits", "Add folder"], commits

    expected = {
        "config.json": small,
        "weights/model.bin": big,
        "README.md": folder_files["README.md"],
        "data/blob.safetensors": folder_files["data/blob.safetensors"],
        "data/test.csv": b"a,b\n5,6\n",
    }
    files = api.list_repo_files(REPO)
    assert sorted(files) == sorted(expected), files
    tree = {f.path: f for f in api.list_repo_tree(REPO, recursive=True) if hasattr(f, "size")}
    assert tree["weights/model.bin"].lfs.sha256 == sha256(big), tree["weights/model.bin"]

    for path, content in expected.items():
        local = hf_hub_download(REPO, path, **READ)
        with open(local, "rb") as f:
            assert sha256(f.read()) == sha256(content), path

    snap = snapshot_download(REPO, **READ)
    for path, content in expected.items():
        with open(os.path.join(snap, path), "rb") as f:
            assert f.read() == content, path

    # By branch and by tag: the folder commit still has train.csv; v1 has test.csv.
    dev = snapshot_download(REPO, revision="dev", local_dir=os.path.join(os.environ["HF_HOME"], "dev"), **READ)
    with open(os.path.join(dev, "data/train.csv"), "rb") as f:
        assert f.read() == b"a,b\n1,2\n3,4\n"
    tagged = hf_hub_download(REPO, "data/test.csv", revision="v1", **READ)
    with open(tagged, "rb") as f:
        assert f.read() == b"a,b\n5,6\n"
    by_commit = hf_hub_download(REPO, "config.json", revision=folder_commit.oid, **READ)
    with open(by_commit, "rb") as f:
        assert f.read() == small
    # A dataset: its LFS routes live under /datasets/… (a 9 MB file goes multipart).
    api.create_repo("acme/py-data", repo_type="dataset", private=True)
    rows = os.urandom(9 * 1024 * 1024 + 7)
    api.upload_file(path_or_fileobj=rows, path_in_repo="train.arrow", repo_id="acme/py-data", repo_type="dataset")
    api.upload_file(path_or_fileobj=b"a,b\n", path_in_repo="test.csv", repo_id="acme/py-data", repo_type="dataset")
    got = hf_hub_download("acme/py-data", "train.arrow", repo_type="dataset", **READ)
    with open(got, "rb") as f:
        assert sha256(f.read()) == sha256(rows)
    info = api.dataset_info("acme/py-data", files_metadata=True)
    assert info.private is True, info
    assert sorted(s.rfilename for s in info.siblings) == ["test.csv", "train.arrow"], info.siblings

    print("ok: create_repo, upload_file (small + 12 MB LFS), upload_folder, create_commit with a delete,"
          " branch, tag, refs, commits, hf_hub_download and snapshot_download by branch, tag and commit;"
          " a private dataset with a multipart LFS file")


if __name__ == "__main__":
    try:
        main()
    except Exception:
        import traceback

        traceback.print_exc()
        sys.exit(1)

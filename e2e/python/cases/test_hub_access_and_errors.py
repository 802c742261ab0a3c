"""Gated and private repos with and without the user's token; missing repo/revision/file errors.

The judge is the client: each call must raise the exception class huggingface_hub raises against
the real Hub (decided by `hf_raise_for_status` in huggingface_hub/utils/_http.py from the status
and the X-Error-Code header).
"""

from pathlib import Path

import pytest
from huggingface_hub import (
    HfFileSystem,
    file_exists,
    hf_hub_download,
    list_repo_files,
    model_info,
    repo_exists,
    snapshot_download,
)
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from harness import OTHER_TOKEN, TOKEN, repo, sha256_file

GATED = repo("org/gated-model")
PRIVATE = repo("org/private-model")


def test_gated_repo_with_the_users_token(cache_dir):
    for name in ["config.json", "weights.safetensors"]:
        p = hf_hub_download("org/gated-model", name, token=TOKEN, cache_dir=cache_dir)
        assert sha256_file(p) == GATED.file(name)["sha256"]
    assert model_info("org/gated-model", token=TOKEN).gated == "auto"
    assert file_exists("org/gated-model", "config.json", token=TOKEN)


def test_gated_repo_without_a_token_after_the_mirror_cached_it(cache_dir):
    # Whatever the mirror has cached for an approved user, an anonymous caller gets the Hub's answer.
    hf_hub_download("org/gated-model", "weights.safetensors", token=TOKEN, cache_dir=cache_dir + "-warm")
    for name in ["config.json", "weights.safetensors"]:
        with pytest.raises(GatedRepoError):
            hf_hub_download("org/gated-model", name, token=False, cache_dir=cache_dir)
    with pytest.raises(GatedRepoError):
        file_exists("org/gated-model", "config.json", token=False)
    # Gated repos are listed publicly: info and existence are not secrets.
    assert model_info("org/gated-model", token=False).gated == "auto"
    assert repo_exists("org/gated-model", token=False)


def test_gated_repo_with_a_token_not_approved(cache_dir):
    with pytest.raises(GatedRepoError):
        hf_hub_download("org/gated-model", "weights.safetensors", token=OTHER_TOKEN, cache_dir=cache_dir)


def test_private_repo_with_the_users_token(cache_dir):
    for name in ["config.json", "weights.safetensors"]:
        p = hf_hub_download("org/private-model", name, token=TOKEN, cache_dir=cache_dir)
        assert sha256_file(p) == PRIVATE.file(name)["sha256"]
    info = model_info("org/private-model", token=TOKEN)
    assert info.private is True and info.sha == PRIVATE.commit()["sha"]
    assert sorted(list_repo_files("org/private-model", token=TOKEN)) == sorted(PRIVATE.files())
    folder = snapshot_download("org/private-model", token=TOKEN, cache_dir=cache_dir)
    assert sha256_file(f"{folder}/weights.safetensors") == PRIVATE.file("weights.safetensors")["sha256"]


def test_private_repo_without_a_token_after_the_mirror_cached_it(cache_dir):
    hf_hub_download("org/private-model", "weights.safetensors", token=TOKEN, cache_dir=cache_dir + "-warm")
    model_info("org/private-model", token=TOKEN)
    for token in [False, OTHER_TOKEN]:
        for name in ["config.json", "weights.safetensors"]:
            with pytest.raises(RepositoryNotFoundError) as e:
                hf_hub_download("org/private-model", name, token=token, cache_dir=cache_dir)
            assert not isinstance(e.value, GatedRepoError)
        with pytest.raises(RepositoryNotFoundError):
            model_info("org/private-model", token=token)
        with pytest.raises(RepositoryNotFoundError):
            list_repo_files("org/private-model", token=token)
        assert not repo_exists("org/private-model", token=token)


def test_missing_file_raises_entry_not_found(cache_dir):
    with pytest.raises(EntryNotFoundError) as e:
        hf_hub_download("org/model", "no/such/file.bin", cache_dir=cache_dir)
    assert isinstance(e.value, HfHubHTTPError), "a remote 404, not a local cache miss"
    # With X-Repo-Commit on the 404 the client remembers the absence (and skips the request next time).
    commit = repo("org/model").commit()["sha"]
    assert (Path(cache_dir) / "models--org--model" / ".no_exist" / commit / "no/such/file.bin").exists()
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("org/csv-data", "nope.csv", repo_type="dataset", cache_dir=cache_dir)
    with pytest.raises(FileNotFoundError):
        HfFileSystem().open("org/model/no-such-file.txt").read()


def test_missing_revision_raises_revision_not_found(cache_dir):
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download("org/model", "config.json", revision="no-such-branch", cache_dir=cache_dir)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download("org/model", "config.json", revision="refs/pr/99", cache_dir=cache_dir)
    with pytest.raises(RevisionNotFoundError):
        model_info("org/model", revision="no-such-branch")
    with pytest.raises(RevisionNotFoundError):
        snapshot_download("org/model", revision="no-such-branch", cache_dir=cache_dir)


def test_missing_repo_raises_repository_not_found(cache_dir):
    for call in [
        lambda: hf_hub_download("org/no-such-repo", "config.json", cache_dir=cache_dir),
        lambda: hf_hub_download("org/no-such-repo", "x.csv", repo_type="dataset", cache_dir=cache_dir),
        lambda: model_info("org/no-such-repo"),
        lambda: list_repo_files("org/no-such-repo"),
        lambda: snapshot_download("org/no-such-repo", cache_dir=cache_dir),
    ]:
        with pytest.raises(RepositoryNotFoundError) as e:
            call()
        assert not isinstance(e.value, GatedRepoError)


def test_errors_carry_the_hub_error_fields(cache_dir):
    """The client quotes X-Request-Id and X-Error-Message in what it shows the user."""
    with pytest.raises(EntryNotFoundError) as e:
        hf_hub_download("org/model", "no/such/other.bin", cache_dir=cache_dir)
    err = e.value
    assert err.response.headers.get("x-error-code") == "EntryNotFound"
    assert err.request_id, "no X-Request-Id in the mirror's answer"
    with pytest.raises(RepositoryNotFoundError) as e:
        model_info("org/no-such-repo")
    assert e.value.server_message, "no error message (X-Error-Message / error body) in the mirror's answer"

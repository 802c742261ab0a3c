"""Fixtures of the e2e/python cases (the world itself is described in harness.py)."""

import pytest


@pytest.fixture
def cache_dir(tmp_path):
    """A fresh Hugging Face cache for one case."""
    d = tmp_path / "hf-cache"
    d.mkdir()
    return str(d)

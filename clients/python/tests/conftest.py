"""Unit tests of the dingospeed package: no mirror, no network; fakes on loopback."""

import pytest

import dingospeed
from fakes import FakeMirror


@pytest.fixture(autouse=True)
def clean_state(monkeypatch, tmp_path):
    """Each test starts disabled, with no endpoint in the environment and an empty config dir."""
    dingospeed.disable()
    for var in ("DINGO_ENDPOINT", "HF_ENDPOINT", "DINGO_CONFIG_FILE", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    yield
    dingospeed.disable()


@pytest.fixture
def mirror():
    m = FakeMirror()
    yield m
    m.close()


@pytest.fixture
def dead_url():
    """A loopback port nothing listens on."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"

import time
import warnings

import pytest

import dingospeed
from fakes import FakeMirror


def test_status_of_a_healthy_mirror_with_a_version(monkeypatch):
    m = FakeMirror(body={"status": "ok", "version": "1.4.2", "info": {}})
    try:
        s = dingospeed.status(m.url)
        assert s["endpoint"] == m.url and s["source"] == "argument"
        assert s["reachable"] and s["healthy"] and s["status_code"] == 200
        assert s["version"] == "1.4.2" and s["health"]["status"] == "ok"
        assert s["enabled"] is False and s["error"] is None
        assert m.requests == ["/health"]
    finally:
        m.close()


@pytest.mark.parametrize(
    "body,headers,version",
    [
        ({"status": "ok", "info": {"gateway": {"status": "up", "version": "2.0"}}}, {}, "2.0"),
        ({"status": "ok"}, {"X-Dingo-Version": "3.1"}, "3.1"),
        ({"status": "ok"}, {"Server": "dingospeed/0.9 (embedded)"}, "0.9"),
        ({"status": "ok"}, {}, None),
    ],
)
def test_version_sources(body, headers, version):
    m = FakeMirror(body=body, headers=headers)
    try:
        assert dingospeed.status(m.url)["version"] == version
    finally:
        m.close()


def test_a_mirror_reporting_a_sick_dependency_is_reachable_but_not_healthy():
    m = FakeMirror(status=503, body={"status": "error", "error": {"metadata": {"status": "down"}}})
    try:
        s = dingospeed.status(m.url)
        assert s["reachable"] and not s["healthy"] and s["status_code"] == 503
    finally:
        m.close()


def test_status_of_an_unreachable_mirror_does_not_raise(dead_url):
    s = dingospeed.status(dead_url)
    assert s["reachable"] is False and s["error"]


def test_status_without_any_configuration_does_not_raise():
    s = dingospeed.status()
    assert s["endpoint"] is None and "DINGO_ENDPOINT" in s["error"]


def test_status_reports_the_enabled_mirror(mirror):
    dingospeed.enable(mirror.url)
    s = dingospeed.status()
    assert s["enabled"] and s["endpoint"] == mirror.url and s["active_endpoint"] == mirror.url


def test_slow_mirror_probe_respects_the_timeout():
    m = FakeMirror(delay=3)
    try:
        t0 = time.monotonic()
        s = dingospeed.status(m.url, timeout=0.5)
        assert time.monotonic() - t0 < 2.5
        assert s["reachable"] is False and "timed out" in s["error"].lower()
    finally:
        m.close()


def test_enable_warns_when_the_mirror_is_unreachable_and_still_points_at_it(dead_url, monkeypatch):
    with pytest.warns(dingospeed.MirrorUnreachableWarning, match="unreachable.*fallback=True"):
        assert dingospeed.enable(dead_url) == dead_url
    import os

    assert os.environ["HF_ENDPOINT"] == dead_url


def test_enable_with_fallback_keeps_the_hub_when_the_mirror_is_unreachable(dead_url, monkeypatch):
    import os

    with pytest.warns(dingospeed.MirrorUnreachableWarning, match="falling back to https://huggingface.co"):
        assert dingospeed.enable(dead_url, fallback=True) == "https://huggingface.co"
    assert os.environ["HF_ENDPOINT"] == "https://huggingface.co"
    dingospeed.disable()
    assert "HF_ENDPOINT" not in os.environ


def test_enable_with_a_reachable_mirror_does_not_warn(mirror):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dingospeed.enable(mirror.url)


def test_no_probe_when_offline_or_unchecked(dead_url, monkeypatch):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dingospeed.enable(dead_url, check=False)
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        dingospeed.enable(dead_url)

import json

import pytest

import dingospeed
from dingospeed import DingoSpeedError, config_path, discover_endpoint


def write_config(monkeypatch, tmp_path, data):
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    monkeypatch.setenv("DINGO_CONFIG_FILE", str(path))
    return path


def test_order_argument_then_dingo_endpoint_then_hf_endpoint_then_config(monkeypatch, tmp_path):
    write_config(monkeypatch, tmp_path, {"endpoint": "http://from-config:1"})
    assert discover_endpoint() == ("http://from-config:1", f"config:{tmp_path / 'cfg.json'}")
    monkeypatch.setenv("HF_ENDPOINT", "http://from-hf:2/")
    assert discover_endpoint() == ("http://from-hf:2", "HF_ENDPOINT")
    monkeypatch.setenv("DINGO_ENDPOINT", "http://from-dingo:3")
    assert discover_endpoint() == ("http://from-dingo:3", "DINGO_ENDPOINT")
    assert discover_endpoint("https://explicit:4/") == ("https://explicit:4", "argument")


def test_default_config_file_is_under_xdg_config_home(monkeypatch, tmp_path):
    assert config_path() == tmp_path / "xdg" / "dingospeed" / "config.json"
    config_path().parent.mkdir(parents=True)
    config_path().write_text('{"endpoint": "http://mirror.lan:8090"}')
    assert discover_endpoint()[0] == "http://mirror.lan:8090"


def test_nothing_configured_is_a_clear_error():
    with pytest.raises(DingoSpeedError, match="DINGO_ENDPOINT"):
        discover_endpoint()
    with pytest.raises(DingoSpeedError):
        dingospeed.enable()


@pytest.mark.parametrize("bad", ["mirror:8090", "ftp://x", "http://", ""])
def test_malformed_endpoints_are_refused(bad):
    with pytest.raises(DingoSpeedError):
        discover_endpoint(bad) if bad else dingospeed._discovery.normalize(bad)


def test_malformed_config_file_names_the_file(monkeypatch, tmp_path):
    path = write_config(monkeypatch, tmp_path, "{not json")
    with pytest.raises(DingoSpeedError, match=str(path)):
        discover_endpoint()
    write_config(monkeypatch, tmp_path, {"url": "http://x"})
    with pytest.raises(DingoSpeedError, match="endpoint"):
        discover_endpoint()

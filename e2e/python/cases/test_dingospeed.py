"""The dingospeed package against the real libraries of each set-up and the real gateway.

Every scenario runs in a fresh interpreter whose environment has no HF_ENDPOINT (a user who only
added `dingospeed.enable(...)`), so the libraries would go to huggingface.co without it; this
machine has no route there, so a download that succeeds came from the mirror (and the gateway's
request log is checked too). Nothing here sends a request to the Hub itself.
"""

import json
import socket
import textwrap

import pytest

from harness import ENDPOINT, FEATURES, client_env, last_seq, python, repo, requests_since

MODEL = repo("org/model")
HUB = "https://huggingface.co"


def user_env(tmp_path, **extra):
    env = client_env(tmp_path / "home", **extra)
    env.pop("HF_ENDPOINT")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    return env


def run(code, env, prelude=""):
    out = python(prelude + textwrap.dedent(code), env, timeout=240).stdout.strip().splitlines()
    return json.loads(out[-1]) if out else None


DOWNLOADS = """
def downloads(cache):
    import hashlib, huggingface_hub
    from huggingface_hub import HfFileSystem, hf_hub_download, model_info, snapshot_download
    p = hf_hub_download("org/model", "model.safetensors", cache_dir=cache)
    folder = snapshot_download("org/many-files", allow_patterns=["configs/*"], cache_dir=cache)
    return {
        "endpoint": huggingface_hub.constants.ENDPOINT,
        "api": huggingface_hub.hf_api.api.endpoint,
        "sha256": hashlib.sha256(open(p, "rb").read()).hexdigest(),
        "info_sha": model_info("org/model").sha,
        "fs": HfFileSystem().read_bytes("org/model/config.json").decode(),
        "configs": sorted(__import__("os").listdir(folder + "/configs")),
    }
"""


def assert_downloads(got, seq):
    assert got["endpoint"] == got["api"] == ENDPOINT, got
    assert got["sha256"] == MODEL.file("model.safetensors")["sha256"]
    assert got["info_sha"] == MODEL.commit()["sha"]
    assert got["fs"] == MODEL.content("config.json").decode()
    assert got["configs"] == [f"c{i}.json" for i in range(5)]
    urls = [r["url"] for r in requests_since(seq)]
    assert "/org/model/resolve/main/model.safetensors" in urls and "/api/models/org/model" in urls


def test_enable_after_huggingface_hub_was_imported(tmp_path):
    seq = last_seq()
    got = run(f"""
        import huggingface_hub.constants, json
        from huggingface_hub import hf_hub_download, model_info  # bound before enable(), as user code does
        assert huggingface_hub.constants.ENDPOINT == {HUB!r}
        import dingospeed
        assert dingospeed.enable({ENDPOINT!r}) == {ENDPOINT!r}
        print(json.dumps(downloads({str(tmp_path / "c")!r})))
    """, user_env(tmp_path), DOWNLOADS)
    assert_downloads(got, seq)


def test_enable_before_huggingface_hub_is_imported(tmp_path):
    seq = last_seq()
    got = run(f"""
        import json, sys
        import dingospeed
        dingospeed.enable({ENDPOINT!r})
        assert "huggingface_hub" not in sys.modules
        print(json.dumps(downloads({str(tmp_path / "c")!r})))
    """, user_env(tmp_path), DOWNLOADS)
    assert_downloads(got, seq)


def test_disable_restores_exactly_what_was_there(tmp_path):
    got = run(f"""
        import json, os
        import huggingface_hub.constants as c
        from huggingface_hub import hf_api
        before = (c.ENDPOINT, c.HUGGINGFACE_CO_URL_TEMPLATE, c.HF_URL_HOSTS, hf_api.api.endpoint)
        import dingospeed
        dingospeed.enable({ENDPOINT!r})
        during = (c.ENDPOINT, c.HUGGINGFACE_CO_URL_TEMPLATE, sorted(c.HF_URL_HOSTS), hf_api.api.endpoint, os.environ["HF_ENDPOINT"])
        dingospeed.disable()
        after = (c.ENDPOINT, c.HUGGINGFACE_CO_URL_TEMPLATE, c.HF_URL_HOSTS, hf_api.api.endpoint)
        print(json.dumps({{"during": during, "restored": after == before and after[2] is before[2],
                          "env": os.environ.get("HF_ENDPOINT"), "after": after[0]}}))
    """, user_env(tmp_path))
    assert got["during"][0] == got["during"][3] == got["during"][4] == ENDPOINT
    assert got["during"][1] == ENDPOINT + "/{repo_id}/resolve/{revision}/{filename}"
    assert "127.0.0.1" in got["during"][2]
    assert got["restored"] and got["env"] is None and got["after"] == HUB


def test_context_manager(tmp_path):
    seq = last_seq()
    got = run(f"""
        import json, hashlib
        import huggingface_hub.constants
        from huggingface_hub import hf_hub_download
        import dingospeed
        with dingospeed.enabled({ENDPOINT!r}) as ep:
            p = hf_hub_download("org/model", "config.json", cache_dir={str(tmp_path / "c")!r})
            inside = huggingface_hub.constants.ENDPOINT
        print(json.dumps({{"ep": ep, "inside": inside, "outside": huggingface_hub.constants.ENDPOINT, "bytes": open(p).read()}}))
    """, user_env(tmp_path))
    assert got["ep"] == got["inside"] == ENDPOINT and got["outside"] == HUB
    assert got["bytes"] == MODEL.content("config.json").decode()
    assert any(r["url"] == "/org/model/resolve/main/config.json" for r in requests_since(seq))


@pytest.mark.parametrize("how", ["DINGO_ENDPOINT", "config file"])
def test_endpoint_discovery(how, tmp_path):
    env = user_env(tmp_path)
    if how == "DINGO_ENDPOINT":
        env["DINGO_ENDPOINT"] = ENDPOINT
    else:
        cfg = tmp_path / "xdg" / "dingospeed" / "config.json"
        cfg.parent.mkdir(parents=True)
        cfg.write_text(json.dumps({"endpoint": ENDPOINT + "/"}))
    got = run(f"""
        import json, hashlib
        from huggingface_hub import hf_hub_download
        import dingospeed
        ep = dingospeed.enable()
        p = hf_hub_download("org/model", "config.json", cache_dir={str(tmp_path / "c")!r})
        print(json.dumps({{"ep": ep, "bytes": open(p).read()}}))
    """, env)
    assert got == {"ep": ENDPOINT, "bytes": MODEL.content("config.json").decode()}


def _dead_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


def test_unreachable_mirror_warns_and_fallback_keeps_the_hub(tmp_path):
    dead = _dead_url()
    got = run(f"""
        import json, warnings
        import huggingface_hub.constants
        import dingospeed
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            strict = dingospeed.enable({dead!r})
            strict_ep = huggingface_hub.constants.ENDPOINT
            dingospeed.disable()
            fallback = dingospeed.enable({dead!r}, fallback=True)
            fallback_ep = huggingface_hub.constants.ENDPOINT
        print(json.dumps({{"strict": [strict, strict_ep], "fallback": [fallback, fallback_ep],
                          "warnings": [(x.category.__name__, str(x.message)) for x in w]}}))
    """, user_env(tmp_path))
    assert got["strict"] == [dead, dead]
    assert got["fallback"] == [HUB, HUB]
    assert [c for c, _ in got["warnings"]] == ["MirrorUnreachableWarning", "MirrorUnreachableWarning"]
    assert dead in got["warnings"][0][1] and "fallback=True" in got["warnings"][0][1]
    assert "falling back to https://huggingface.co" in got["warnings"][1][1]


def test_status_of_the_real_mirror(tmp_path):
    got = run(f"""
        import json
        import dingospeed
        dingospeed.enable({ENDPOINT!r})
        print(json.dumps(dingospeed.status()))
    """, user_env(tmp_path))
    assert got["endpoint"] == ENDPOINT and got["enabled"] and got["active_endpoint"] == ENDPOINT
    assert got["reachable"] and got["healthy"] and got["status_code"] == 200, got
    assert got["health"]["status"] == "ok"


def test_status_reports_the_mirror_version(tmp_path):
    """dingospeed.status() promises the mirror's version: /health (or a header) must carry one."""
    got = run(f"""
        import json, dingospeed
        print(json.dumps(dingospeed.status({ENDPOINT!r})))
    """, user_env(tmp_path))
    assert got["version"], (
        "the gateway exposes no version: expected a `version` field in /health (or an X-Dingo-Version header); "
        f"/health answered {json.dumps(got['health'])[:400]}"
    )


@pytest.mark.needs("transformers", "datasets")
@pytest.mark.parametrize("order", ["imported before enable", "imported after enable"])
def test_transformers_and_datasets(order, tmp_path):
    imports = "import transformers, datasets\nfrom transformers import AutoConfig, AutoTokenizer\nfrom datasets import load_dataset\n"
    enable = f"import dingospeed\ndingospeed.enable({ENDPOINT!r})\n"
    seq = last_seq()
    got = run(
        (imports + enable if order == "imported before enable" else enable + imports)
        + """
import json
from transformers import AutoConfig, AutoTokenizer
from datasets import load_dataset
import datasets.config
cfg = AutoConfig.from_pretrained("org/tiny-bert")
tok = AutoTokenizer.from_pretrained("org/tiny-bert")
ds = load_dataset("org/parquet-data")
print(json.dumps({"hidden": cfg.hidden_size, "ids": tok("the dingo mirror")["input_ids"],
                  "rows": ds["train"].num_rows, "ds_endpoint": datasets.config.HF_ENDPOINT}))
""",
        user_env(tmp_path),
    )
    assert got["hidden"] == 32 and got["rows"] == 40 and got["ds_endpoint"] == ENDPOINT
    assert got["ids"][0] == 2 and got["ids"][-1] == 3  # [CLS] ... [SEP]
    urls = [r["url"] for r in requests_since(seq)]
    assert "/org/tiny-bert/resolve/main/config.json" in urls
    assert any(u.startswith("/api/datasets/org/parquet-data") for u in urls)


def test_features_match_the_set_up():
    """The set-up's declared features are what is importable (guards the n/a column of the table)."""
    import importlib.util

    assert ("xet" in FEATURES) == (importlib.util.find_spec("hf_xet") is not None)
    for lib in ("transformers", "datasets"):
        assert (lib in FEATURES) == (importlib.util.find_spec(lib) is not None), lib

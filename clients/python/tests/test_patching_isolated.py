"""enable()/disable() on stand-in libraries, in a fresh interpreter with no site-packages.

The stand-ins copy what the real packages do at import (huggingface_hub.constants, hf_api.api,
datasets.config, a `from ..constants import ENDPOINT` copy, transformers' lazily built HfApi), so
these tests pin down the mechanism; e2e/python/cases/test_dingospeed.py runs it against the real ones.
"""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import dingospeed

FAKES = {
    "huggingface_hub/__init__.py": "",
    "huggingface_hub/constants.py": """
        import os
        from urllib.parse import urlsplit
        _HF_DEFAULT_ENDPOINT = "https://huggingface.co"
        ENDPOINT = os.getenv("HF_ENDPOINT", _HF_DEFAULT_ENDPOINT).rstrip("/")
        HUGGINGFACE_CO_URL_TEMPLATE = ENDPOINT + "/{repo_id}/resolve/{revision}/{filename}"
        HF_URL_HOSTS = frozenset({"hf.co"} | {h for h in (urlsplit(_HF_DEFAULT_ENDPOINT).hostname, urlsplit(ENDPOINT).hostname) if h})
    """,
    "huggingface_hub/hf_api.py": """
        from . import constants
        class HfApi:
            def __init__(self, endpoint=None):
                self.endpoint = endpoint or constants.ENDPOINT
        api = HfApi()
    """,
    "huggingface_hub/utils/__init__.py": "",
    "huggingface_hub/utils/_git_credential.py": "from ..constants import ENDPOINT",
    "datasets/__init__.py": "",
    "datasets/config.py": """
        import os
        HF_ENDPOINT = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
        HUB_DATASETS_URL = HF_ENDPOINT + "/datasets/{repo_id}/resolve/{revision}/{path}"
    """,
    "transformers/__init__.py": "",
    "transformers/utils/__init__.py": "",
    "transformers/utils/hub.py": """
        from huggingface_hub.hf_api import HfApi
        _hf_api = None
        def hf_api():
            global _hf_api
            if _hf_api is None:
                _hf_api = HfApi()
            return _hf_api
    """,
}

SNAPSHOT = """
def snapshot():
    import sys
    out = {}
    c = sys.modules.get("huggingface_hub.constants")
    if c:
        out.update(ENDPOINT=c.ENDPOINT, TEMPLATE=c.HUGGINGFACE_CO_URL_TEMPLATE, HOSTS=sorted(c.HF_URL_HOSTS))
        out["api"] = sys.modules["huggingface_hub.hf_api"].api.endpoint
        out["git"] = sys.modules["huggingface_hub.utils._git_credential"].ENDPOINT
    d = sys.modules.get("datasets.config")
    if d:
        out.update(DS=d.HF_ENDPOINT, DS_URL=d.HUB_DATASETS_URL)
    t = sys.modules.get("transformers.utils.hub")
    if t and t._hf_api is not None:
        out["tf"] = t._hf_api.endpoint
    import os
    out["env"] = os.environ.get("HF_ENDPOINT")
    return out

def load_all():
    import huggingface_hub.constants, huggingface_hub.hf_api, huggingface_hub.utils._git_credential
    import datasets.config, transformers.utils.hub
    transformers.utils.hub.hf_api()
"""

MIRROR = "http://mirror.test:8090"
HUB = "https://huggingface.co"


def run_isolated(tmp_path: Path, code: str, env_extra=None, fakes=True) -> None:
    """Runs `code` with only the stand-ins and a copy of dingospeed importable (python -I -S)."""
    root = tmp_path / "path"
    if fakes:
        for rel, src in FAKES.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(src))
    shutil.copytree(Path(dingospeed.__file__).parent, root / "dingospeed")
    prelude = f"import sys; sys.path[:0] = [{str(root)!r}]\n" + SNAPSHOT
    env = {"PATH": "/usr/bin:/bin", **(env_extra or {})}
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", prelude + textwrap.dedent(code)],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout


def test_libraries_imported_before_enable_are_retargeted_and_restored_exactly(tmp_path):
    run_isolated(tmp_path, f"""
        load_all()
        before = snapshot()
        import sys
        c = sys.modules["huggingface_hub.constants"]
        originals = (c.ENDPOINT, c.HUGGINGFACE_CO_URL_TEMPLATE, c.HF_URL_HOSTS)
        import dingospeed
        assert dingospeed.enable({MIRROR!r}, check=False) == {MIRROR!r}
        s = snapshot()
        assert s["ENDPOINT"] == s["api"] == s["git"] == s["DS"] == s["tf"] == s["env"] == {MIRROR!r}, s
        assert s["TEMPLATE"] == {MIRROR!r} + "/{{repo_id}}/resolve/{{revision}}/{{filename}}", s
        assert s["DS_URL"] == {MIRROR!r} + "/datasets/{{repo_id}}/resolve/{{revision}}/{{path}}", s
        assert "mirror.test" in s["HOSTS"] and "huggingface.co" in s["HOSTS"], s
        assert dingospeed.is_enabled() and dingospeed.active_endpoint() == {MIRROR!r}, dingospeed.active_endpoint()
        dingospeed.disable()
        assert snapshot() == before, (snapshot(), before)
        assert (c.ENDPOINT, c.HUGGINGFACE_CO_URL_TEMPLATE, c.HF_URL_HOSTS) == originals, (c.HF_URL_HOSTS, originals)
        assert c.HF_URL_HOSTS is originals[2], "restored objects are the originals"
        assert not dingospeed.is_enabled()
    """)


def test_libraries_imported_after_enable_use_the_mirror_and_are_reset_by_disable(tmp_path):
    run_isolated(tmp_path, f"""
        import dingospeed
        dingospeed.enable({MIRROR!r}, check=False)
        load_all()
        s = snapshot()
        assert s["ENDPOINT"] == s["api"] == s["git"] == s["DS"] == s["tf"] == {MIRROR!r}, s
        assert "mirror.test" in s["HOSTS"]
        dingospeed.disable()
        s = snapshot()
        assert s["ENDPOINT"] == s["api"] == s["git"] == s["DS"] == s["tf"] == {HUB!r}, s
        assert s["env"] is None and "mirror.test" not in s["HOSTS"], s
    """)


def test_a_user_hf_endpoint_is_the_baseline_disable_returns_to(tmp_path):
    run_isolated(tmp_path, f"""
        load_all()
        before = snapshot()
        assert before["ENDPOINT"] == "http://old-mirror:1"
        import dingospeed
        dingospeed.enable({MIRROR!r}, check=False)
        assert snapshot()["ENDPOINT"] == {MIRROR!r}
        dingospeed.disable()
        assert snapshot() == before
    """, env_extra={"HF_ENDPOINT": "http://old-mirror:1"})


def test_switching_endpoints_and_the_context_manager(tmp_path):
    run_isolated(tmp_path, f"""
        load_all()
        before = snapshot()
        import dingospeed
        with dingospeed.enabled({MIRROR!r}, check=False) as ep:
            assert ep == {MIRROR!r} and snapshot()["api"] == ep
            with dingospeed.enabled("http://other:2", check=False):
                s = snapshot()
                assert s["ENDPOINT"] == s["api"] == s["DS"] == "http://other:2", s
                assert "mirror.test" not in s["HOSTS"]
            assert snapshot()["ENDPOINT"] == {MIRROR!r}
        assert snapshot() == before
        dingospeed.enable({MIRROR!r}, check=False)
        dingospeed.enable("http://third:3", check=False)
        assert snapshot()["api"] == "http://third:3"
        dingospeed.disable()
        assert snapshot() == before
    """)


def test_imports_and_works_without_any_hugging_face_library(tmp_path):
    run_isolated(tmp_path, f"""
        import os, sys
        import dingospeed
        assert "huggingface_hub" not in sys.modules
        assert dingospeed.enable({MIRROR!r}, check=False) == {MIRROR!r}
        assert os.environ["HF_ENDPOINT"] == {MIRROR!r} and dingospeed.active_endpoint() == {MIRROR!r}
        s = dingospeed.status(timeout=0.2)
        assert s["endpoint"] == {MIRROR!r} and s["enabled"] and not s["reachable"]
        dingospeed.disable()
        assert "HF_ENDPOINT" not in os.environ
        try:
            import huggingface_hub
        except ImportError:
            pass
        else:
            raise AssertionError("this interpreter was meant to have no huggingface_hub")
    """, fakes=False)

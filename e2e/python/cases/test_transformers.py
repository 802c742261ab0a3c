"""transformers through the mirror: a tiny BERT made by transformers itself (make_fixtures.py), loaded
cold (the mirror has never seen it), warm, and with the upstream down; weights must equal the originals.

Loads with the upstream down run in a new process, timed against an online load in a new process.
"""

import json
import time

import pytest

from harness import FIXTURES, last_seq, requests_since, summarize, upstream_stopped

pytestmark = pytest.mark.needs("transformers")

REPO = "org/tiny-bert"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())["fill_mask"]


def load(cache_dir):
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    t0 = time.time()
    tok = AutoTokenizer.from_pretrained(REPO, cache_dir=cache_dir)
    model = AutoModelForMaskedLM.from_pretrained(REPO, cache_dir=cache_dir)
    return tok, model, time.time() - t0


def assert_same_as_originals(tok, model):
    import torch
    from safetensors.torch import load_file

    original = load_file(str(FIXTURES / "tiny-bert" / "model.safetensors"))
    state = model.state_dict()
    assert original, "no tensors in the fixture"
    for name, tensor in original.items():
        assert torch.equal(state[name], tensor), f"weight {name} differs from the original"
    assert tok(EXPECTED["text"])["input_ids"] == EXPECTED["input_ids"]
    with torch.no_grad():
        logits = model(**tok(EXPECTED["text"], return_tensors="pt")).logits
    assert abs(float(logits.sum()) - EXPECTED["logits_sum"]) < 1e-3


def test_from_pretrained_cold(tmp_path):
    seq = last_seq()
    tok, model, seconds = load(str(tmp_path / "c"))
    assert_same_as_originals(tok, model)
    print(f"cold load through the mirror: {seconds:.2f} s; the mirror answered:\n{summarize(requests_since(seq))}")


def test_from_pretrained_warm_mirror_and_warm_client(tmp_path):
    tok, model, seconds = load(str(tmp_path / "c"))
    assert_same_as_originals(tok, model)
    _, _, again = load(str(tmp_path / "c"))
    print(f"warm mirror, new client cache: {seconds:.2f} s; warm client cache: {again:.2f} s")


def test_auto_model_loads_the_base_model_weights(tmp_path):
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModel

    model = AutoModel.from_pretrained(REPO, cache_dir=str(tmp_path / "c"))
    original = load_file(str(FIXTURES / "tiny-bert" / "model.safetensors"))
    for name, tensor in model.state_dict().items():
        if f"bert.{name}" in original:
            assert torch.equal(tensor, original[f"bert.{name}"]), name
    assert torch.equal(model.embeddings.word_embeddings.weight, original["bert.embeddings.word_embeddings.weight"])


def test_pipeline_fill_mask(tmp_path):
    from transformers import pipeline

    through_mirror = pipeline("fill-mask", model=REPO, model_kwargs={"cache_dir": str(tmp_path / "c")})
    local = pipeline("fill-mask", model=str(FIXTURES / "tiny-bert"))
    got, want = through_mirror(EXPECTED["text"]), local(EXPECTED["text"])
    assert [(r["token_str"], round(r["score"], 6)) for r in got] == [(r["token_str"], round(r["score"], 6)) for r in want]


# Loads in a fresh interpreter, checks the weights there, prints the load time.
LOAD_SCRIPT = """
import json, sys, time
sys.path.insert(0, sys.argv[2])
from test_transformers import assert_same_as_originals, load
tok, model, seconds = load(sys.argv[1])
assert_same_as_originals(tok, model)
print(json.dumps({"seconds": seconds}))
"""


def load_in_subprocess(cache, deadline=None):
    """(seconds of the whole process, seconds of the load itself); fails at `deadline` seconds."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.dirname(__file__), os.environ.get("PYTHONPATH", "")])}
    t0 = time.time()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", LOAD_SCRIPT, str(cache), os.path.dirname(__file__)],
            env=env, capture_output=True, text=True, timeout=deadline or 300,
        )
    except subprocess.TimeoutExpired:
        return None, None
    assert proc.returncode == 0, proc.stderr[-4000:]
    return time.time() - t0, json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]


def _offline_load(online_cache, offline_cache):
    """Online load (the baseline), then the same in a new process with the upstream down, cut off at
    the goal: 1.5x the online time + 2 s (huggingface_hub's 5xx backoff would otherwise take minutes)."""
    online, _ = load_in_subprocess(online_cache)
    deadline = 1.5 * online + 2
    seq = last_seq()
    with upstream_stopped():
        seconds, _ = load_in_subprocess(offline_cache, deadline)
    seen = requests_since(seq)
    print(f"online: {online:.1f} s; upstream down: {seconds if seconds is None else round(seconds, 1)} s; "
          f"the mirror answered:\n{summarize(seen)}")
    assert seconds is not None, (
        f"loading with the upstream down did not finish within {deadline:.1f} s (online: {online:.1f} s); "
        "the mirror answered with 5xx:\n" + summarize([r for r in seen if (r.get("status") or 0) >= 500])
    )


def test_from_pretrained_with_the_upstream_down(tmp_path):
    """A new client loads the model the mirror has cached while the upstream is down.

    Optional files the model does not have (tokenizer.model, added_tokens.json, ...) were answered
    404 online; offline they must be answered the same, not 5xx: huggingface_hub retries 5xx with
    backoff for files it has no local copy of (file_download.py, _DEFAULT_RETRY_ON_STATUS_CODES).
    """
    _offline_load(tmp_path / "online", tmp_path / "offline")


def test_from_pretrained_from_a_warm_client_cache_with_the_upstream_down(tmp_path):
    """The user's own cache has the model (loaded online before); then the upstream goes down.

    The Hub's 404s carry X-Repo-Commit, so the client recorded the optional files' absence
    (.no_exist/<commit>/<file>) online and transformers skips them without a request.
    """
    _offline_load(tmp_path / "c", tmp_path / "c")

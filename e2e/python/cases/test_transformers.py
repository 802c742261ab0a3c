"""transformers through the mirror: a tiny BERT made by transformers itself (make_fixtures.py), loaded
cold (the mirror has never seen it), warm, and with the upstream down; weights must equal the originals.

The cases run in this order and share `TIMES` so the last one can compare against the first.
"""

import json
import time

import pytest

from harness import FIXTURES, last_seq, requests_since, summarize, upstream_stopped

pytestmark = pytest.mark.needs("transformers")

REPO = "org/tiny-bert"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())["fill_mask"]
TIMES: dict = {}


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
    TIMES["cold"] = seconds
    assert_same_as_originals(tok, model)
    print(f"cold load through the mirror: {seconds:.2f} s; the mirror answered:\n{summarize(requests_since(seq))}")


def test_from_pretrained_warm_mirror_and_warm_client(tmp_path):
    tok, model, seconds = load(str(tmp_path / "c"))
    TIMES["warm"] = seconds
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


def test_from_pretrained_with_the_upstream_down(tmp_path):
    """A new client loads the model the mirror has cached while the upstream is down.

    Goal: within 1.5x the online cold load (+2 s of slack for a loaded CI machine). Optional files
    the model does not have (e.g. added_tokens.json) must be answered without the client's 5xx
    backoff (huggingface_hub retries 5xx for files it has no local copy of).
    """
    seq = last_seq()
    with upstream_stopped():
        tok, model, seconds = load(str(tmp_path / "c"))
    assert_same_as_originals(tok, model)
    online = TIMES.get("cold")
    assert online is not None, "the cold case must run first"
    seen = requests_since(seq)
    print(f"upstream down: {seconds:.2f} s (online cold: {online:.2f} s); the mirror answered:\n{summarize(seen)}")
    assert seconds <= 1.5 * online + 2, (
        f"load with the upstream down took {seconds:.1f} s vs {online:.1f} s online; the mirror answered:\n"
        + summarize([r for r in seen if (r.get("status") or 0) >= 500])
    )


def test_from_pretrained_from_a_warm_client_cache_with_the_upstream_down(tmp_path):
    """The user's own cache has the model (loaded online before); the upstream then goes down.

    The files are in the client cache, so only the optional files the model lacks are asked for;
    the Hub's 404s carry X-Repo-Commit, which makes the client record their absence
    (.no_exist/<commit>/<file>) and not ask again. Goal as above: 1.5x the online cold load + 2 s.
    """
    load(str(tmp_path / "c"))
    seq = last_seq()
    with upstream_stopped():
        tok, model, seconds = load(str(tmp_path / "c"))
    assert_same_as_originals(tok, model)
    online = TIMES.get("cold")
    assert online is not None, "the cold case must run first"
    seen = requests_since(seq)
    print(f"warm client, upstream down: {seconds:.2f} s (online cold: {online:.2f} s); the mirror answered:\n{summarize(seen)}")
    assert seconds <= 1.5 * online + 2, (
        f"load with the upstream down took {seconds:.1f} s vs {online:.1f} s online; the mirror answered:\n"
        + summarize([r for r in seen if (r.get("status") or 0) >= 500])
    )

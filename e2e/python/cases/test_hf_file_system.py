"""HfFileSystem (fsspec, what `datasets` and pandas' hf:// use) through the mirror."""

import pytest
from huggingface_hub import HfFileSystem

from harness import last_seq, repo, requests_since

MODEL = repo("org/model")
MANY = repo("org/many-files")
CSV = repo("org/csv-data", "dataset")


@pytest.fixture
def fs():
    HfFileSystem.clear_instance_cache()
    return HfFileSystem()


def test_ls(fs):
    assert sorted(fs.ls("org/many-files", detail=False)) == [
        "org/many-files/README.md",
        "org/many-files/configs",
        "org/many-files/deep",
        "org/many-files/shards",
    ]
    shards = fs.ls("org/many-files/shards", detail=True)
    assert sorted(e["name"] for e in shards) == sorted(f"org/many-files/{p}" for p in MANY.files() if p.startswith("shards/"))
    for e in shards:
        assert e["type"] == "file" and e["size"] == MANY.file(e["name"][len("org/many-files/") :])["size"]


def test_glob_and_find(fs):
    assert len(fs.glob("org/many-files/shards/*.txt")) == 15
    assert sorted(fs.glob("org/many-files/**/*.json")) == sorted(f"org/many-files/configs/c{i}.json" for i in range(5))
    assert sorted(fs.find("org/many-files")) == sorted(f"org/many-files/{p}" for p in MANY.files())
    assert fs.isdir("org/many-files/deep/a/b") and fs.isfile("org/many-files/deep/a/b/c/leaf.txt")


def test_open_with_range_reads(fs):
    expected = MODEL.content("model.safetensors")
    info = fs.info("org/model/model.safetensors")
    assert info["size"] == len(expected)
    seq = last_seq()
    with fs.open("org/model/model.safetensors", "rb", block_size=64 * 1024) as f:
        f.seek(3_000_000)
        assert f.read(10_000) == expected[3_000_000:3_010_000]
        f.seek(len(expected) - 100)
        assert f.read() == expected[-100:]
        f.seek(17)
        assert f.read(5) == expected[17:22]
    assert fs.cat_file("org/model/model.safetensors", start=1_000_000, end=1_000_123) == expected[1_000_000:1_000_123]
    ranged = [r for r in requests_since(seq) if r["method"] == "GET" and r.get("range")]
    assert ranged, "HfFileSystem reads must be Range requests to the mirror"


def test_read_small_files_and_revisions(fs):
    assert fs.read_bytes("org/model/config.json") == MODEL.content("config.json")
    assert fs.read_bytes("org/model@v1.0/config.json") == MODEL.content("config.json", "v1.0")
    assert fs.read_bytes("org/model@refs%2Fpr%2F1/config.json") == MODEL.content("config.json", "refs/pr/1")
    assert fs.read_bytes("org/model@feature%2Fnew-tok/config.json") == MODEL.content("config.json", "feature/new-tok")
    p = "datasets/org/csv-data@refs%2Fconvert%2Fparquet/default/train/0000.parquet"
    assert fs.read_bytes(p) == CSV.content("default/train/0000.parquet", "refs/convert/parquet")
    assert sorted(fs.ls("datasets/org/csv-data@refs%2Fconvert%2Fparquet/default", detail=False)) == [
        "datasets/org/csv-data@refs%2Fconvert%2Fparquet/default/test",
        "datasets/org/csv-data@refs%2Fconvert%2Fparquet/default/train",
    ]


def test_open_xet_backed_file(fs):
    expected = MODEL.content("xet.safetensors")
    with fs.open("org/model/xet.safetensors", "rb") as f:
        f.seek(2 * 1024 * 1024)
        assert f.read(4096) == expected[2 * 1024 * 1024 : 2 * 1024 * 1024 + 4096]
    assert fs.read_bytes("org/model/xet.safetensors") == expected

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def _data_dir(tmp_path_factory, monkeypatch):
    """Every test gets a private data folder (cache, downloads, tuning storage)."""
    d = tmp_path_factory.mktemp("nnlab-data")
    monkeypatch.setenv("NNLAB_DATA_DIR", str(d))
    monkeypatch.delenv("NNLAB_HOSTED", raising=False)
    monkeypatch.delenv("NNLAB_STORAGE", raising=False)
    yield d


SHARED = ROOT.parent / "shared" / "data"
MNIST_SAMPLE = Path(os.environ.get("NNLAB_MNIST_SAMPLE", SHARED / "mnist-sample"))

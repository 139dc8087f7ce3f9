"""Shared test set-up: one thread, fixed seeds, tiny datasets written on the fly."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

torch.set_num_threads(1)


def write_tiny_cifar10(root: Path, per_batch: int = 8, test_size: int = 16, seed: int = 0) -> Path:
    """A cifar-10-batches-py folder of random images, pickled like the original release."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(seed)

    def batch(count: int) -> dict:
        data = torch.randint(0, 256, (count, 3072), dtype=torch.uint8, generator=g).numpy()
        labels = torch.randint(0, 10, (count,), generator=g).tolist()
        return {"batch_label": "tiny", "labels": labels, "data": data, "filenames": [f"{i}.png" for i in range(count)]}

    for i in range(1, 6):
        with open(folder / f"data_batch_{i}", "wb") as f:
            pickle.dump(batch(per_batch), f, protocol=2)
    with open(folder / "test_batch", "wb") as f:
        pickle.dump(batch(test_size), f, protocol=2)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": ["c%d" % i for i in range(10)]}, f, protocol=2)
    return root


@pytest.fixture
def tiny_cifar(tmp_path: Path) -> Path:
    """A data root holding a tiny CIFAR-10 in torchvision's layout (40 train, 16 test images)."""
    return write_tiny_cifar10(tmp_path / "data")


@pytest.fixture(autouse=True)
def babytui_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test saves its runs in a folder of its own, never in the user's data directory."""
    home = tmp_path_factory.mktemp("babytui-home")
    monkeypatch.setenv("BABYTUI_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def no_downloads(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches the network or the user's cache: a download goes to a closed local port."""
    monkeypatch.setenv("BABYTUI_CIFAR10_URL", "http://127.0.0.1:9/cifar-10-python.tar.gz")
    monkeypatch.setenv("BABYTUI_CACHE", str(tmp_path_factory.mktemp("babytui-cache")))
    monkeypatch.delenv("BABYTUI_DATA", raising=False)

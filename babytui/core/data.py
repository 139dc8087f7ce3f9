"""Datasets as tensors on the training device: one uint8 tensor per split, batched by index."""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import torch

from .errors import DataError

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_TEST_FILES = ("test_batch",)


@dataclass(frozen=True)
class ImageData:
    """Both splits of an image dataset, held whole on one device."""

    name: str
    """Dataset name, e.g. 'cifar10'."""
    train_images: torch.Tensor
    """uint8 (N, 3, 32, 32)."""
    train_labels: torch.Tensor
    """int64 (N,)."""
    test_images: torch.Tensor
    """uint8 (M, 3, 32, 32)."""
    test_labels: torch.Tensor
    """int64 (M,)."""
    classes: tuple[str, ...]
    """Class names, indexed by label."""

    def to(self, device: torch.device) -> "ImageData":
        """The same data on another device."""
        return ImageData(
            self.name,
            self.train_images.to(device),
            self.train_labels.to(device),
            self.test_images.to(device),
            self.test_labels.to(device),
            self.classes,
        )


def normalize(images: torch.Tensor) -> torch.Tensor:
    """uint8 pixels 0-255 to floats in [-1, 1], as ToTensor then Normalize(0.5, 0.5) would."""
    return images.float().div_(127.5).sub_(1.0)


def default_data_root() -> Path:
    """The data folder: $BABYTUI_DATA, else ./data."""
    return Path(os.environ.get("BABYTUI_DATA") or "data")


def _read_batch(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    try:
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="latin1")
        data = torch.as_tensor(batch["data"], dtype=torch.uint8)  # (N, 3072), channel-major rows
        labels = torch.as_tensor(batch.get("labels", batch.get("fine_labels")), dtype=torch.int64)
    except FileNotFoundError:
        raise DataError(f"CIFAR-10 file {path} is missing") from None
    except Exception as exc:  # a pickle can fail in many ways; all mean the same to the user
        raise DataError(f"CIFAR-10 file {path} is unreadable or corrupt ({type(exc).__name__})") from None
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise DataError(f"CIFAR-10 file {path} does not hold 32x32 colour images")
    return data.view(-1, 3, 32, 32), labels


def find_cifar10(root: str | Path) -> Path:
    """The cifar-10-batches-py folder under `root` (or `root` itself), or a DataError."""
    root = Path(root).expanduser()
    if not root.exists():
        raise DataError(f"data root {root} does not exist")
    if not root.is_dir():
        raise DataError(f"data root {root} is not a folder")
    for folder in (root / CIFAR10_FOLDER, root):
        if all((folder / name).is_file() for name in CIFAR10_TRAIN_FILES + CIFAR10_TEST_FILES):
            return folder
    raise DataError(
        f"no CIFAR-10 in {root}: expected {CIFAR10_FOLDER}/data_batch_1..5 and test_batch "
        "(the layout torchvision downloads)"
    )


def load_cifar10(root: str | Path, device: torch.device | str = "cpu") -> ImageData:
    """Read CIFAR-10's pickled batches from `root` into uint8 tensors on `device`."""
    folder = find_cifar10(root)
    train = [_read_batch(folder / name) for name in CIFAR10_TRAIN_FILES]
    test = [_read_batch(folder / name) for name in CIFAR10_TEST_FILES]
    data = ImageData(
        "cifar10",
        torch.cat([x for x, _ in train]),
        torch.cat([y for _, y in train]),
        torch.cat([x for x, _ in test]),
        torch.cat([y for _, y in test]),
        CIFAR10_CLASSES,
    )
    return data.to(torch.device(device))


def load_images(dataset: str, data_root: str, device: torch.device) -> ImageData:
    """The image dataset a lesson's settings name, on `device`."""
    root = data_root or str(default_data_root())
    if dataset == "cifar10":
        return load_cifar10(root, device)
    raise DataError(f"unknown dataset {dataset!r}")

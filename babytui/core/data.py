"""Datasets as tensors on the training device: one uint8 tensor per split, batched by index."""

from __future__ import annotations

import dataclasses
import os
import pickle
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import torch

from .download import CIFAR10_FOLDER, TEMP_PREFIX, cache_dir, download_cifar10, verify_cifar10
from .progress import ProgressCallback
from .errors import DataError

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
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
    warnings: tuple[str, ...] = ()
    """Things the user should hear about loading, e.g. how many files were unreadable."""
    root: str = ""
    """Where the data came from (a folder), empty for generated data."""

    def to(self, device: torch.device) -> "ImageData":
        """The same data on another device."""
        return dataclasses.replace(
            self,
            train_images=self.train_images.to(device),
            train_labels=self.train_labels.to(device),
            test_images=self.test_images.to(device),
            test_labels=self.test_labels.to(device),
        )


def normalize(images: torch.Tensor) -> torch.Tensor:
    """uint8 pixels 0-255 to floats in [-1, 1], as ToTensor then Normalize(0.5, 0.5) would."""
    return images.float().div_(127.5).sub_(1.0)


def default_data_root() -> Path:
    """Where CIFAR-10 lives unless --data-root says otherwise: $BABYTUI_DATA, else the user's cache."""
    env = os.environ.get("BABYTUI_DATA")
    return Path(env).expanduser() if env else cache_dir()


def _read_batch(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """One pickled CIFAR-10 batch file as uint8 images (N, 3, 32, 32) and int64 labels."""
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
        raise DataError(f"data root {root} is a file, not a folder")
    for folder in (root / CIFAR10_FOLDER, root):
        if all((folder / name).is_file() for name in CIFAR10_TRAIN_FILES + CIFAR10_TEST_FILES):
            return folder
    partial = root / CIFAR10_FOLDER
    if partial.is_dir():
        missing = [n for n in CIFAR10_TRAIN_FILES + CIFAR10_TEST_FILES if not (partial / n).is_file()]
        raise DataError(f"CIFAR-10 in {partial} is incomplete: {', '.join(missing)} missing")
    raise DataError(
        f"no CIFAR-10 in {root}: expected {CIFAR10_FOLDER}/data_batch_1..5 and test_batch "
        "(the layout torchvision downloads)"
    )


def _may_download_into(root: Path, is_default: bool) -> bool:
    """True when a download may go into `root`: ours, new, or empty (never a folder of other things)."""
    if is_default or not root.exists():
        return True
    if not root.is_dir():
        return False
    try:
        return all(p.name.startswith(TEMP_PREFIX) for p in root.iterdir())
    except OSError:
        return False


def ensure_cifar10(
    root: str | Path | None = None, *, progress: ProgressCallback | None = None, trust_data: bool = False
) -> Path:
    """The folder of CIFAR-10's batches under `root` (default: the data root), downloading it if absent.

    Checks the files' MD5 sums unless `trust_data`; raises DataError with a user message.
    """
    is_default = not root
    root = Path(root).expanduser() if root else default_data_root()
    if root.exists() and not root.is_dir():
        raise DataError(f"data root {root} is a file, not a folder")
    try:
        folder = find_cifar10(root)
    except DataError as exc:
        if (root / CIFAR10_FOLDER).exists():
            raise
        if not _may_download_into(root, is_default):
            # A folder of other things is not ours to fill with 170 MB.
            raise DataError(f"{exc}; to download it, give a data root that is a new or empty folder") from None
        folder = download_cifar10(root, progress=progress)
    if not trust_data:
        verify_cifar10(folder)
    return folder


def load_cifar10(
    root: str | Path,
    device: torch.device | str = "cpu",
    *,
    trust_data: bool = False,
    progress: ProgressCallback | None = None,
) -> ImageData:
    """Read CIFAR-10's pickled batches from `root` (downloading when absent) into uint8 tensors on `device`."""
    folder = ensure_cifar10(root, progress=progress, trust_data=trust_data)
    train_images, train_labels = _read_split(folder, CIFAR10_TRAIN_FILES)
    test_images, test_labels = _read_split(folder, CIFAR10_TEST_FILES)
    data = ImageData("cifar10", train_images, train_labels, test_images, test_labels, CIFAR10_CLASSES, root=str(folder))
    return data.to(torch.device(device))


def _read_split(folder: Path, names: tuple[str, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """Read batch files one at a time into one tensor sized from the first: never two full copies."""
    images = torch.empty(0, 3, 32, 32, dtype=torch.uint8)
    labels = []
    filled = 0
    for name in names:
        batch_images, batch_labels = _read_batch(folder / name)
        if filled + len(batch_images) > len(images):  # the first file, or batches of unequal size
            grown = torch.empty(max(filled + len(batch_images), len(batch_images) * len(names)), 3, 32, 32, dtype=torch.uint8)
            grown[:filled] = images[:filled]
            images = grown
        images[filled : filled + len(batch_images)] = batch_images
        filled += len(batch_images)
        labels.append(batch_labels)
        del batch_images
    _release_freed_memory()
    return images[:filled], torch.cat(labels)


def _release_freed_memory() -> None:
    """Hand the unpickling buffers back to the OS: glibc keeps freed 30 MB blocks otherwise."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to do


SHAPES_TRAIN_SIZE = 50_000
"""Training images of the generated dataset, as many as CIFAR-10's."""
SHAPES_TEST_SIZE = 10_000
"""Test images of the generated dataset."""
SHAPES_SEED = 0
"""Seed of the generated training images; the test images use the next one."""


def load_shapes(
    device: torch.device | str = "cpu",
    *,
    train_size: int = SHAPES_TRAIN_SIZE,
    test_size: int = SHAPES_TEST_SIZE,
    seed: int = SHAPES_SEED,
) -> ImageData:
    """The generated shapes dataset (see shapes.py): the same images for the same seed and sizes."""
    from .shapes import SHAPES_CLASSES, make_shapes

    train_images, train_labels = make_shapes(train_size, seed)
    test_images, test_labels = make_shapes(test_size, seed + 1)
    data = ImageData("shapes", train_images, train_labels, test_images, test_labels, SHAPES_CLASSES)
    return data.to(torch.device(device))


def folder_cache_dir() -> Path:
    """Where decoded image folders are cached."""
    return cache_dir() / "folders"


def load_image_folder(
    root: str | Path,
    device: torch.device | str = "cpu",
    *,
    cache: bool = True,
    progress: ProgressCallback | None = None,
) -> ImageData:
    """A folder with one sub-folder of images per class (optionally under train/ and test/).

    `progress` hears how decoding the images goes, the first time (later loads come from a cache).
    """
    from .folder import load_folder

    tensors, classes, skipped = load_folder(root, cache=folder_cache_dir() if cache else None, progress=progress)
    warnings = ()
    if skipped:
        warnings = (f"skipped {skipped:,} unreadable image file{'s' if skipped != 1 else ''} in {root}",)
    data = ImageData("folder", classes=classes, warnings=warnings, root=str(root), **tensors)
    return data.to(torch.device(device))


def load_images(
    dataset: str,
    data_root: str,
    device: torch.device,
    *,
    trust_data: bool = False,
    progress: ProgressCallback | None = None,
) -> ImageData:
    """The image dataset a lesson's settings name, on `device`.

    `progress` hears how a CIFAR-10 download or reading a folder of images goes, and may stop
    it; warnings (skipped files) are in `.warnings`.
    """
    with path_errors(data_root):
        if dataset == "cifar10":
            return load_cifar10(data_root or "", device, trust_data=trust_data, progress=progress)
        if dataset == "shapes":
            return load_shapes(device)
        if dataset == "folder":
            return load_image_folder(data_root, device, progress=progress)
    raise DataError(f"unknown dataset {dataset!r}")


@contextmanager
def path_errors(path: str | Path | None) -> Iterator[None]:
    """Turn an OSError from merely looking at a path (too long, no permission) into a DataError."""
    try:
        yield
    except OSError as exc:
        raise DataError(f"cannot read {exc.filename or path}: {exc.strerror or exc}") from None


def _mb(count: int) -> str:
    """Bytes as megabytes, e.g. 185.4 MB."""
    return f"{count / 1e6:.1f} MB"


def describe_data(data_root: str | Path | None = None) -> list[str]:
    """Lines for `babytui data`: the data root and what each dataset has there (hashes files once)."""
    with path_errors(data_root):
        return _describe_data(data_root)


def _describe_data(data_root: str | Path | None) -> list[str]:
    from .download import is_verified
    from .shapes import SHAPES_CLASSES

    root = Path(data_root).expanduser() if data_root else default_data_root()
    source = "--data-root" if data_root else ("$BABYTUI_DATA" if os.environ.get("BABYTUI_DATA") else "default")
    lines = [f"data root: {root} ({source})"]
    if root.exists() and not root.is_dir():
        raise DataError(f"data root {root} is a file, not a folder")
    try:
        folder = find_cifar10(root)
    except DataError as exc:
        if root.exists() and (root / CIFAR10_FOLDER).exists():
            lines.append(f"cifar10: {exc}")
        else:
            lines.append("cifar10: not downloaded (`babytui data download` fetches it, 170 MB)")
    else:
        size = sum((folder / n).stat().st_size for n in CIFAR10_TRAIN_FILES + CIFAR10_TEST_FILES)
        verdict = is_verified(folder)
        if verdict is None:
            try:
                verify_cifar10(folder)
                verdict = True
            except DataError:
                verdict = False
        state = (
            "verified (matches the official MD5 sums)"
            if verdict
            else "differs from the official files: use it with --trust-data if you trust this copy"
        )
        lines.append(f"cifar10: {folder}, {_mb(size)}, {state}")
    lines.append(
        f"shapes: generated when needed, {SHAPES_TRAIN_SIZE:,} + {SHAPES_TEST_SIZE:,} images "
        f"of {len(SHAPES_CLASSES)} classes ({', '.join(SHAPES_CLASSES)})"
    )
    cache = folder_cache_dir()
    cached = sorted(cache.glob("*.pt")) if cache.is_dir() else []
    if cached:
        size = sum(p.stat().st_size for p in cached)
        lines.append(f"folder: {len(cached)} image folder(s) cached in {cache}, {_mb(size)}")
    else:
        lines.append("folder: none cached yet (--dataset folder --data-root DIR reads a folder of images)")
    return lines

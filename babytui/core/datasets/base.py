"""What every image dataset gives: both splits as uint8 tensors on one device, and its classes.

Torch-free at import: the settings and the app's first frame name the datasets before torch loads.
"""

from __future__ import annotations

import dataclasses
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from ..errors import DataError

if TYPE_CHECKING:
    import torch


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


def cache_dir() -> Path:
    """babytui's cache folder: $BABYTUI_CACHE, else the user's cache directory."""
    env = os.environ.get("BABYTUI_CACHE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("babytui"))


def default_data_root() -> Path:
    """Where CIFAR-10 lives unless --data-root says otherwise: $BABYTUI_DATA, else the user's cache."""
    env = os.environ.get("BABYTUI_DATA")
    return Path(env).expanduser() if env else cache_dir()


@contextmanager
def path_errors(path: str | Path | None) -> Iterator[None]:
    """Turn an OSError from merely looking at a path (too long, no permission) into a DataError."""
    try:
        yield
    except OSError as exc:
        raise DataError(f"cannot read {exc.filename or path}: {exc.strerror or exc}") from None


def megabytes(count: int) -> str:
    """Bytes as megabytes, e.g. 185.4 MB."""
    return f"{count / 1e6:.1f} MB"


def release_freed_memory() -> None:
    """Hand freed decoding buffers back to the OS: glibc keeps freed 30 MB blocks otherwise."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to do

"""What every image dataset gives: both splits as uint8 tensors on one device, and its classes.

Torch-free at import: the settings and the app's first frame name the datasets before torch loads.
"""

from __future__ import annotations

import dataclasses
import errno
import functools
import hashlib
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

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

    @functools.cached_property
    def fingerprint(self) -> str:
        """A hash of the pixels, labels and class names (16 hex digits): what says two datasets are the same."""
        digest = hashlib.sha256("\0".join(self.classes).encode())
        for tensor in (self.train_images, self.train_labels, self.test_images, self.test_labels):
            array = tensor.detach().cpu().contiguous().numpy()
            digest.update(f"{array.dtype}{array.shape}".encode())
            digest.update(memoryview(array).cast("B"))
        return digest.hexdigest()[:16]

    def identity(self) -> dict[str, Any]:
        """What the data was, as a run records it: name, sizes, classes and fingerprint."""
        return {
            "dataset": self.name, "train": len(self.train_images), "test": len(self.test_images),
            "classes": list(self.classes), "fingerprint": self.fingerprint,
        }

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


def check_root(root: Path) -> Path:
    """`root` when it is a folder or not there yet; DataError when it is a file or a symbolic link that leads nowhere."""
    try:
        os.stat(root)
    except FileNotFoundError:
        if os.path.islink(root):
            raise DataError(f"data root {root} is a symbolic link to {os.readlink(root)}, which does not exist") from None
        return root
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DataError(f"data root {root} is a loop of symbolic links: it leads nowhere") from None
        raise DataError(f"cannot read data root {root}: {exc.strerror or exc}") from None
    if not root.is_dir():
        raise DataError(f"data root {root} is a file, not a folder")
    return root


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


def pid_alive(pid: int) -> bool:
    """True when a process with this id still runs (so what it is writing is not a leftover)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def sweep_temp_files(folder: Path, pattern: str, max_age: float) -> None:
    """Remove files matching `pattern` (named `.NAME.PID.tmp`) that a killed process left in `folder`:
    those whose process is gone, or that nothing touched for `max_age` seconds."""
    import time

    try:
        leftovers = list(folder.glob(pattern))
    except OSError:
        return
    for path in leftovers:
        parts = path.name.split(".")
        pid = parts[-2] if len(parts) >= 3 else ""
        try:
            stale = time.time() - path.lstat().st_mtime > max_age
            gone = pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid))
            if stale or gone:
                path.unlink()
        except OSError:
            pass

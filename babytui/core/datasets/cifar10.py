"""CIFAR-10: 60,000 photos in ten classes, read from torchvision's on-disk layout (downloaded if absent)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DataError
from ..progress import ProgressCallback
from .base import ImageData, default_data_root, megabytes, release_freed_memory
from .download import CIFAR10_FOLDER, TEMP_PREFIX, download_cifar10, is_verified, verify_cifar10

if TYPE_CHECKING:
    import torch

NAME = "cifar10"
"""The dataset's name in the settings."""
HELP = "CIFAR-10's photos (downloaded on first use)"
"""What it is, in a few words."""
NEEDS_ROOT = False
"""It has a default place: an empty data root means $BABYTUI_DATA or the user's cache."""
ROOT_HELP = "folder holding cifar-10-batches-py"
"""What --data-root means for it in an exported script."""

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR10_TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_TEST_FILES = ("test_batch",)


def _read_batch(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """One pickled CIFAR-10 batch file as uint8 images (N, 3, 32, 32) and int64 labels."""
    import torch

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
    device: Any = "cpu",
    *,
    trust_data: bool = False,
    progress: ProgressCallback | None = None,
) -> ImageData:
    """Read CIFAR-10's pickled batches from `root` (downloading when absent) into uint8 tensors on `device`."""
    import torch

    folder = ensure_cifar10(root, progress=progress, trust_data=trust_data)
    train_images, train_labels = _read_split(folder, CIFAR10_TRAIN_FILES)
    test_images, test_labels = _read_split(folder, CIFAR10_TEST_FILES)
    data = ImageData("cifar10", train_images, train_labels, test_images, test_labels, CIFAR10_CLASSES, root=str(folder))
    return data.to(torch.device(device))


def _read_split(folder: Path, names: tuple[str, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """Read batch files one at a time into one tensor sized from the first: never two full copies."""
    import torch

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
    release_freed_memory()
    return images[:filled], torch.cat(labels)


def load(root: str, device: Any, *, trust_data: bool = False, progress: ProgressCallback | None = None) -> ImageData:
    """The dataset for a lesson: from `root`, else the default data root."""
    return load_cifar10(root or "", device, trust_data=trust_data, progress=progress)


def describe(root: Path) -> str:
    """One line for `babytui data`: where CIFAR-10 is and whether it matches the official files (hashes once)."""
    try:
        folder = find_cifar10(root)
    except DataError as exc:
        if root.exists() and (root / CIFAR10_FOLDER).exists():
            return f"cifar10: {exc}"
        return "cifar10: not downloaded (`babytui data download` fetches it, 170 MB)"
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
        else "differs from the official files: if you trust this copy, train on it with "
        "`babytui train --trust-data` (or trust data: yes in the app)"
    )
    return f"cifar10: {folder}, {megabytes(size)}, {state}"


def script_root() -> str:
    """The exported script's default data root when the settings leave it empty."""
    return str(default_data_root())


LOADER_IMPORTS = "import pickle\nfrom pathlib import Path\n"
"""What the exported loader imports."""

LOADER = '''
def load_data(root):
    """CIFAR-10's pickled batches (the layout torchvision downloads) as uint8 tensors."""
    folder = Path(root).expanduser()
    if (folder / "cifar-10-batches-py").is_dir():
        folder = folder / "cifar-10-batches-py"

    def read(names):
        images, labels = [], []
        for name in names:
            with open(folder / name, "rb") as f:
                batch = pickle.load(f, encoding="latin1")
            images.append(torch.as_tensor(batch["data"], dtype=torch.uint8).view(-1, 3, 32, 32))
            labels.append(torch.as_tensor(batch["labels"], dtype=torch.int64))
        return torch.cat(images), torch.cat(labels)

    train = read([f"data_batch_{i}" for i in range(1, 6)])
    test = read(["test_batch"])
    return train, test, 10
'''


def loader_source() -> str:
    """The exported script's `load_data(root)`."""
    return LOADER

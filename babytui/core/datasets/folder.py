"""A folder of the learner's own pictures as a dataset: one sub-folder per class.

Either `root/<class>/*.jpg` (split 80/20 by a fixed seed) or `root/train/<class>/...` and
`root/test/<class>/...`. Every image becomes 32x32 RGB, decoded within a memory bound; files
that cannot be used are skipped and counted by reason. The decoded tensors are cached, keyed by
the folder and every file's size, times and inode, checked when read back, so a second load
takes seconds.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DataError
from ..lazy import torch
from ..progress import ProgressCallback, Reporter
from .base import ImageData, check_root, sweep_temp_files
from .folder_cache import folder_cache_dir, read_cache, save_cache

NAME = "folder"
"""The dataset's name in the settings."""
HELP = "your own images, one sub-folder per class"
"""What it is, in a few words."""
NEEDS_ROOT = True
"""The data root is the folder of images: there is no default."""
ROOT_HELP = "folder of images, one sub-folder per class"
"""What --data-root means for it in an exported script."""

IMAGE_EXTENSIONS = frozenset(
    (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".pbm")
)
"""File endings read as images; other files in the class folders are ignored."""
TEST_SHARE = 0.2
"""Share of the images held out for testing when the folder has no train/ and test/."""
SPLIT_SEED = 0
"""Seed of that split, fixed so the test images stay the same from run to run."""
CACHE_VERSION = 2
"""Bumped when the decoding or the cache's contents change, so old caches are not reused."""
MAX_DECODE_PIXELS = 40_000_000
"""The most pixels one image may take to decode (after a JPEG's reduced-scale draft): 120 MB of RGB."""
LARGE_PIXELS = 4_000_000
"""Images above this many pixels decode one at a time, so the threads never hold several at once."""
SKIP_REASONS = {
    "damaged": "damaged or not an image",
    "too large": "too large to decode (over {megapixels:g} megapixels)",
    "unreadable": "unreadable (no permission, or a read error)",
}
"""Why a file is skipped, in words, by the short reason `read_image` gives."""
_BATCH = 256
"""Files one worker decodes per task."""


def read_image(path, one_at_a_time=None):
    """The image at `path` as 32x32 RGB bytes (height, width, channel), or why it is skipped:
    "damaged", "too large" or "unreadable".

    A large JPEG is decoded at a reduced scale (draft); an image that would still take more than
    MAX_DECODE_PIXELS to decode is skipped, not decoded; `one_at_a_time` (a lock) is held while
    decoding one above LARGE_PIXELS.
    """
    import contextlib

    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # the bound below stands in for Pillow's warning about large images
    try:
        with Image.open(path) as image:
            image.draft("RGB", (32, 32))  # a large JPEG is decoded at a reduced scale: much faster, far less memory
            pixels = image.size[0] * image.size[1]
            if pixels > MAX_DECODE_PIXELS:
                return "too large"
            with one_at_a_time if one_at_a_time is not None and pixels > LARGE_PIXELS else contextlib.nullcontext():
                image = image.convert("RGB")
                if image.size != (32, 32):
                    image = image.resize((32, 32), Image.BILINEAR)
            return image.tobytes()
    except (PermissionError, FileNotFoundError, IsADirectoryError):
        return "unreadable"
    except Exception:  # truncated, not an image, a decoder error: all skipped alike
        return "damaged"


_LARGE_IMAGE = threading.Lock()
"""Held while one large image decodes (see LARGE_PIXELS)."""


def _read_many(paths: list[str]) -> list[bytes | str]:
    """One worker's share: several files decoded in a row."""
    return [read_image(p, _LARGE_IMAGE) for p in paths]


@dataclass(frozen=True)
class FolderListing:
    """What a folder dataset holds: class names and the image files of each split."""

    root: Path
    """The folder given."""
    classes: tuple[str, ...]
    """Class names, from the sub-folder names, sorted."""
    train: tuple[tuple[str, int], ...]
    """(path, label) of every training image file, in a fixed order."""
    test: tuple[tuple[str, int], ...]
    """(path, label) of every test image file; empty when the split is made by seed."""
    split: bool
    """True when the folder has train/ and test/ of its own."""
    key: str
    """Hash of the folder's path and every file's size, times and inode: the cache key."""

    @property
    def count(self) -> int:
        """Image files found, both splits."""
        return len(self.train) + len(self.test)


def _subfolders(folder: Path) -> list[Path]:
    """The visible sub-folders of `folder`, sorted, or a DataError when it cannot be read."""
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except PermissionError:
        raise DataError(f"cannot read {folder}: permission denied") from None
    except OSError as exc:
        raise DataError(f"cannot read {folder}: {exc.strerror or exc}") from None


def _images_in(folder: Path, label: int, digest) -> list[tuple[str, int]]:
    """(path, label) of the image files in one class folder, sorted; each file's size, times and inode go into `digest`.

    The change time is there because a chmod changes nothing else: a file skipped as unreadable
    must be read again once it is readable.
    """
    found = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        raise DataError(f"cannot read {folder}: {exc.strerror or exc}") from None
    for entry in entries:
        if entry.name.startswith(".") or os.path.splitext(entry.name)[1].lower() not in IMAGE_EXTENSIONS:
            continue
        try:
            if not entry.is_file():
                continue
            st = entry.stat()
        except OSError:
            continue
        digest.update(f"{entry.path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}\n".encode())
        found.append((entry.path, label))
    return found


def list_folder(root: str | Path) -> FolderListing:
    """Find the classes and image files under `root`, or raise DataError saying what is wrong."""
    if not str(root).strip():  # Path("") would quietly mean the current folder
        raise DataError("the folder dataset needs a data root: the folder of images, one sub-folder per class")
    root = Path(root).expanduser()
    try:
        check_root(root)
    except DataError as exc:
        if root.exists():
            raise DataError(f"{root} is a file; the data root must be a folder with one sub-folder per class") from None
        raise DataError(str(exc).replace("data root", "image folder", 1)) from None
    if not root.exists():
        raise DataError(f"image folder {root} does not exist")
    root = root.resolve()
    names = [p.name for p in _subfolders(root)]
    split = "train" in names and "test" in names
    digest = hashlib.sha1(f"v{CACHE_VERSION}\0{root}\n".encode())
    if split:
        train_dirs = {p.name: p for p in _subfolders(root / "train")}
        test_dirs = {p.name: p for p in _subfolders(root / "test")}
        classes = tuple(sorted(set(train_dirs) | set(test_dirs)))
    else:
        train_dirs = {p.name: p for p in _subfolders(root)}
        test_dirs = {}
        classes = tuple(sorted(train_dirs))
    layout = "train/<class>/ and test/<class>/" if split else "<class>/"
    if not classes:
        raise DataError(f"no class folders in {root}: put each class's images in a sub-folder named after it")
    if len(classes) == 1:
        raise DataError(f"only one class ({classes[0]}) in {root}: a classifier needs at least two class folders")
    train = [item for i, c in enumerate(classes) if c in train_dirs for item in _images_in(train_dirs[c], i, digest)]
    test = [item for i, c in enumerate(classes) if c in test_dirs for item in _images_in(test_dirs[c], i, digest)]
    if not train:
        raise DataError(f"no image files in the class folders of {root} (expected {layout} with .jpg, .png, ...)")
    if split and not test:
        raise DataError(f"no image files in {root / 'test'}: the test split is empty")
    return FolderListing(root, classes, tuple(train), tuple(test), split, digest.hexdigest())


def _decode(files: tuple[tuple[str, int], ...], workers: int, reporter: Reporter) -> tuple[Any, Any, dict[str, str]]:
    """Decode files into uint8 (N, 3, 32, 32) and labels; also {path: reason} of those skipped."""
    import warnings

    warnings.filterwarnings("ignore", module=r"PIL(\.|$)")  # Pillow's own warnings would reach the terminal raw
    paths = [p for p, _ in files]
    batches = [paths[i : i + _BATCH] for i in range(0, len(paths), _BATCH)]
    results: list[bytes | str] = []
    if workers > 1 and len(batches) > 1:
        # Pillow lets go of the GIL while decoding, so threads share the work well enough.
        pool = ThreadPoolExecutor(workers)
        try:
            for batch in pool.map(_read_many, batches):
                results.extend(batch)
                reporter.add(len(batch))  # may raise LoadCancelled
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # a stop leaves the batches not yet begun
    else:
        for batch in batches:
            results.extend(_read_many(batch))
            reporter.add(len(batch))
    keep = [i for i, image in enumerate(results) if isinstance(image, bytes)]
    skipped = {paths[i]: str(image) for i, image in enumerate(results) if not isinstance(image, bytes)}
    labels = torch.tensor([files[i][1] for i in keep], dtype=torch.int64)
    if not keep:
        return torch.empty(0, 3, 32, 32, dtype=torch.uint8), labels, skipped
    pixels = bytearray(b"".join(results[i] for i in keep))  # type: ignore[misc]
    images = torch.frombuffer(pixels, dtype=torch.uint8).view(-1, 32, 32, 3).permute(0, 3, 1, 2).contiguous()
    return images, labels, skipped


def split_by_seed(count, seed=SPLIT_SEED):
    """Indices of the training and test images when a folder has no split of its own."""
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
    n_test = max(1, round(count * TEST_SHARE))
    return order[n_test:].sort().values, order[:n_test].sort().values


def load_folder(
    root: str | Path,
    *,
    cache: Path | None = None,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[dict[str, Any], tuple[str, ...], dict[str, str]]:
    """Both splits of an image folder as uint8 tensors, its classes and {path: reason} of the files skipped.

    `cache` is a folder for the decoded tensors (None: no caching); `progress` hears how the
    decoding goes (not a load from the cache) and may stop it. Raises DataError.
    """
    listing = list_folder(root)
    cache_file = cache / f"{listing.key}.pt" if cache is not None else None
    if cache_file is not None:
        sweep_temp_files(cache_file.parent, ".*.pt.*.tmp", 3600.0)
        saved = read_cache(cache_file, listing, set(SKIP_REASONS), decodes=lambda p: isinstance(read_image(p), bytes))
        if saved is not None:
            return saved["tensors"], listing.classes, saved["skipped"]
    workers = workers or min(4, os.cpu_count() or 1)
    reporter = Reporter("reading images", listing.count, progress, unit="images")
    train_images, train_labels, skipped = _decode(listing.train, workers, reporter)
    if listing.split:
        test_images, test_labels, skipped_test = _decode(listing.test, workers, reporter)
        skipped.update(skipped_test)
    reporter.finish()
    if len(train_images) + (len(test_images) if listing.split else 0) == 0:
        raise DataError(f"none of the {listing.count:,} image files in {listing.root} could be read ({_reasons(skipped)})")
    if not listing.split:
        if len(train_images) < 2:
            raise DataError(f"only one readable image in {listing.root}: a train and a test split need at least two")
        train_idx, test_idx = split_by_seed(len(train_images))
        test_images, test_labels = train_images[test_idx], train_labels[test_idx]
        train_images, train_labels = train_images[train_idx], train_labels[train_idx]
    if len(train_images) == 0 or len(test_images) == 0:
        which = "training" if len(train_images) == 0 else "test"
        raise DataError(f"no readable image in the {which} split of {listing.root}")
    tensors = {
        "train_images": train_images,
        "train_labels": train_labels,
        "test_images": test_images,
        "test_labels": test_labels,
    }
    if cache_file is not None:
        save_cache(cache_file, {"tensors": tensors, "classes": list(listing.classes), "skipped": skipped})
    return tensors, listing.classes, skipped


def _reasons(skipped: dict[str, str]) -> str:
    """The files skipped, counted by reason: '2 damaged or not an image, 1 too large to decode (...)'."""
    counts = Counter(skipped.values())
    order = list(SKIP_REASONS)

    def words(reason: str) -> str:
        return SKIP_REASONS.get(reason, reason).format(megapixels=MAX_DECODE_PIXELS / 1e6)

    if len(counts) == 1:
        return words(next(iter(counts)))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], order.index(kv[0]) if kv[0] in order else len(order)))
    return ", ".join(f"{n:,} {words(reason)}" for reason, n in ranked)


def load_image_folder(
    root: str | Path,
    device: Any = "cpu",
    *,
    cache: bool = True,
    progress: ProgressCallback | None = None,
) -> ImageData:
    """A folder with one sub-folder of images per class (optionally under train/ and test/).

    `progress` hears how decoding the images goes, the first time (later loads come from a cache).
    """
    tensors, classes, skipped = load_folder(root, cache=folder_cache_dir() if cache else None, progress=progress)
    warnings = ()
    if skipped:
        count = len(skipped)
        warnings = (f"skipped {count:,} image file{'s' if count != 1 else ''} in {root}: {_reasons(skipped)}",)
    data = ImageData("folder", classes=classes, warnings=warnings, root=str(root), **tensors)
    return data.to(torch.device(device))


def load(root: str, device: Any, *, trust_data: bool = False, progress: ProgressCallback | None = None) -> ImageData:
    """The dataset for a lesson: the folder `root`."""
    return load_image_folder(root, device, progress=progress)


def describe(root: Path) -> str:
    """One line for `babytui data`: the folders cached so far."""
    from .base import megabytes

    cache = folder_cache_dir()
    cached = sorted(cache.glob("*.pt")) if cache.is_dir() else []
    if not cached:
        return "folder: none cached yet (--dataset folder --data-root DIR reads a folder of images)"
    size = sum(p.stat().st_size for p in cached)
    return f"folder: {len(cached)} image folder(s) cached in {cache}, {megabytes(size)}"


def script_root() -> str:
    """The exported script's default data root when the settings leave it empty: none."""
    return ""


LOADER_IMPORTS = "import os\nfrom pathlib import Path\n"
"""What the exported loader imports."""

LOADER = '''
def load_data(root):
    """A folder with one sub-folder of images per class (optionally under train/ and test/), as uint8 tensors."""
    root = Path(root).expanduser()

    def subfolders(folder):
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))

    names = [p.name for p in subfolders(root)]
    split = "train" in names and "test" in names
    if split:
        train_dirs = {p.name: p for p in subfolders(root / "train")}
        test_dirs = {p.name: p for p in subfolders(root / "test")}
        classes = sorted(set(train_dirs) | set(test_dirs))
    else:
        train_dirs, test_dirs = {p.name: p for p in subfolders(root)}, {}
        classes = sorted(train_dirs)

    def read(dirs):
        images, labels = [], []
        for label, name in enumerate(classes):
            if name not in dirs:
                continue
            for entry in sorted(os.scandir(dirs[name]), key=lambda e: e.name):
                if entry.name.startswith(".") or os.path.splitext(entry.name)[1].lower() not in IMAGE_EXTENSIONS:
                    continue
                pixels = read_image(entry.path) if entry.is_file() else None
                if isinstance(pixels, bytes):  # the others are skipped (damaged, too large, unreadable)
                    images.append(pixels)
                    labels.append(label)
        images = torch.frombuffer(bytearray(b"".join(images)), dtype=torch.uint8)
        return images.view(-1, 32, 32, 3).permute(0, 3, 1, 2).contiguous(), torch.tensor(labels, dtype=torch.int64)

    train_images, train_labels = read(train_dirs)
    if split:
        test_images, test_labels = read(test_dirs)
    else:
        train_idx, test_idx = split_by_seed(len(train_images))
        test_images, test_labels = train_images[test_idx], train_labels[test_idx]
        train_images, train_labels = train_images[train_idx], train_labels[train_idx]
    return (train_images, train_labels), (test_images, test_labels), len(classes)
'''


def loader_source() -> str:
    """The exported script's `load_data(root)`, with the very functions babytui decodes and splits with."""
    import inspect

    return (
        f"\nIMAGE_EXTENSIONS = {tuple(sorted(IMAGE_EXTENSIONS))!r}\n"
        f"MAX_DECODE_PIXELS, LARGE_PIXELS = {MAX_DECODE_PIXELS!r}, {LARGE_PIXELS!r}\n"
        f"TEST_SHARE, SPLIT_SEED = {TEST_SHARE!r}, {SPLIT_SEED!r}\n\n\n"
        + inspect.getsource(read_image)
        + "\n\n"
        + inspect.getsource(split_by_seed)
        + "\n"
        + LOADER
    )

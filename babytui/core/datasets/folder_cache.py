"""The cache of decoded image folders: written whole, read back only when it is whole and fits.

A cache is keyed by the folder's listing (paths, sizes, times, inodes); read with weights_only,
so it runs no code; and checked to its last label before use, so a damaged one is decoded again
instead of reaching training.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..lazy import torch
from .base import cache_dir

if TYPE_CHECKING:
    from .folder import FolderListing


def read_cache(path: Path, listing: FolderListing, reasons: set[str], decodes: Callable[[str], bool]) -> dict[str, Any] | None:
    """The cached tensors of this listing, when the cache is there, whole and consistent; else None (decode again).

    Read with weights_only (no code runs); checked to the last label, so a damaged cache can
    never reach training; and a file skipped last time that now decodes makes it stale.
    """
    if not path.is_file():
        return None
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # damaged, not a cache, or a pickle that weights_only refused
        return None
    if not cache_fits(saved, listing, reasons):
        return None
    if any(decodes(p) for p in saved["skipped"]):
        return None  # a file skipped last time reads now (fixed, or a newer Pillow)
    return saved


def cache_fits(saved: Any, listing: FolderListing, reasons: set[str]) -> bool:
    """True when a loaded cache holds what decoding this listing would give: types, shapes, labels, counts."""
    if not isinstance(saved, dict) or saved.get("classes") != list(listing.classes):
        return False
    tensors, skipped = saved.get("tensors"), saved.get("skipped")
    listed = {p for p, _ in listing.train + listing.test}
    if not isinstance(skipped, dict) or not all(isinstance(p, str) and p in listed and r in reasons for p, r in skipped.items()):
        return False
    if not isinstance(tensors, dict) or set(tensors) != {"train_images", "train_labels", "test_images", "test_labels"}:
        return False
    sizes = 0
    for split in ("train", "test"):
        images, labels = tensors[f"{split}_images"], tensors[f"{split}_labels"]
        if not (isinstance(images, torch.Tensor) and isinstance(labels, torch.Tensor)):
            return False
        if images.dtype != torch.uint8 or images.dim() != 4 or tuple(images.shape[1:]) != (3, 32, 32) or len(images) == 0:
            return False
        if labels.dtype != torch.int64 or labels.shape != (len(images),):
            return False
        if int(labels.min()) < 0 or int(labels.max()) >= len(listing.classes):
            return False
        sizes += len(images)
    return sizes + len(skipped) == listing.count


def save_cache(path: Path, payload: dict) -> None:
    """Write the cache beside its final name and rename it into place; no cache is fine."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(payload, tmp)
        os.replace(tmp, path)
    except (OSError, RuntimeError):  # torch.save reports a full disk as a RuntimeError
        try:
            tmp.unlink()
        except OSError:
            pass


def folder_cache_dir() -> Path:
    """Where decoded image folders are cached."""
    return cache_dir() / "folders"

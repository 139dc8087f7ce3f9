"""The image datasets, one module each; `DATASETS` is derived from `REGISTRY`, the only list of them.

A dataset module names itself (NAME, HELP, NEEDS_ROOT, ROOT_HELP) and gives `load(root, device,
trust_data=, progress=)`, `describe(root)` for `babytui data`, and the exported script's
`loader_source()`, LOADER_IMPORTS and `script_root()`. Torch is imported only when data loads.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import DataError
from ..progress import ProgressCallback
from . import cifar10, folder, shapes
from .base import ImageData, check_root, default_data_root, normalize, path_errors

__all__ = ["DATASETS", "REGISTRY", "ImageData", "dataset", "default_data_root", "describe_data", "load_images", "normalize", "path_errors"]

REGISTRY: dict[str, ModuleType] = {module.NAME: module for module in (cifar10, shapes, folder)}
"""Every dataset's module by name, the default first."""
DATASETS: tuple[str, ...] = tuple(REGISTRY)
"""The dataset names, the default first."""


def dataset(name: str) -> ModuleType:
    """The module of a dataset, or a DataError naming the choices."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise DataError(f"unknown dataset {name!r}: choose {', '.join(DATASETS)}") from None


def load_images(
    name: str,
    data_root: str,
    device: Any,
    *,
    trust_data: bool = False,
    progress: ProgressCallback | None = None,
) -> ImageData:
    """The image dataset a lesson's settings name, on `device`.

    `progress` hears how a download or reading a folder of images goes, and may stop it;
    warnings (skipped files) are in `.warnings`.
    """
    module = dataset(name)
    with path_errors(data_root):
        return module.load(data_root, device, trust_data=trust_data, progress=progress)


def describe_data(data_root: str | Path | None = None) -> list[str]:
    """Lines for `babytui data`: the data root and what each dataset has there."""
    with path_errors(data_root):
        root = Path(data_root).expanduser() if data_root else default_data_root()
        source = "--data-root" if data_root else ("$BABYTUI_DATA" if os.environ.get("BABYTUI_DATA") else "default")
        check_root(root)
        if data_root and not root.exists():
            raise DataError(f"data root {root} does not exist (`babytui data download --data-root {root}` creates it and fetches CIFAR-10)")
        return [f"data root: {root} ({source})", *(module.describe(root) for module in REGISTRY.values())]

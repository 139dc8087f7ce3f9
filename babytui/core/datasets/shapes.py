"""The generated shapes dataset: ten classes of shapes and patterns, drawn in a second, offline.

The drawing itself is `shapes_draw`, torch-only and self-contained: the exported script copies
its source, so it draws exactly the same images for the same seed.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from ..progress import ProgressCallback
from .base import ImageData

NAME = "shapes"
"""The dataset's name in the settings."""
HELP = "ten classes of shapes, generated (offline)"
"""What it is, in a few words."""
NEEDS_ROOT = False
"""Nothing is read: the data root is not used."""
ROOT_USED = False
"""The data root is ignored: nothing to check in it."""
ROOT_HELP = "not used: the shapes are generated"
"""What --data-root means for it in an exported script."""

SHAPES_TRAIN_SIZE = 50_000
"""Training images, as many as CIFAR-10's."""
SHAPES_TEST_SIZE = 10_000
"""Test images."""
SHAPES_SEED = 0
"""Seed of the training images; the test images use the next one."""


def load_shapes(
    device: Any = "cpu",
    *,
    train_size: int = SHAPES_TRAIN_SIZE,
    test_size: int = SHAPES_TEST_SIZE,
    seed: int = SHAPES_SEED,
) -> ImageData:
    """The generated images: the same for the same seed and sizes."""
    import torch

    from .shapes_draw import SHAPES_CLASSES, make_shapes

    train_images, train_labels = make_shapes(train_size, seed)
    test_images, test_labels = make_shapes(test_size, seed + 1)
    data = ImageData("shapes", train_images, train_labels, test_images, test_labels, SHAPES_CLASSES)
    return data.to(torch.device(device))


def load(root: str, device: Any, *, trust_data: bool = False, progress: ProgressCallback | None = None) -> ImageData:
    """The dataset for a lesson (the root is not used)."""
    return load_shapes(device)


def describe(root: Path) -> str:
    """One line for `babytui data`."""
    from .shapes_draw import SHAPES_CLASSES

    return (
        f"shapes: generated when needed, {SHAPES_TRAIN_SIZE:,} + {SHAPES_TEST_SIZE:,} images "
        f"of {len(SHAPES_CLASSES)} classes ({', '.join(SHAPES_CLASSES)})"
    )


def script_root() -> str:
    """The exported script's default data root: none is needed."""
    return ""


LOADER_IMPORTS = "import functools\n"
"""What the exported loader imports."""


def _module_body(module: Any) -> str:
    """A module's source without its docstring and imports: for pasting into a script."""
    lines = inspect.getsource(module).splitlines()
    start = 0
    if lines and lines[0].startswith('"""'):  # the module docstring
        start = next(i for i, line in enumerate(lines) if line.rstrip().endswith('"""') and (i > 0 or line.count('"""') == 2)) + 1
    while start < len(lines) and (not lines[start].strip() or lines[start].startswith(("import ", "from "))):
        start += 1
    return "\n".join(lines[start:]) + "\n"


def loader_source() -> str:
    """The exported script's `load_data(root)`: the very code babytui draws the shapes with."""
    from . import shapes_draw

    return (
        "\n# The generated shapes dataset, the very code babytui draws it with: same seed, same images.\n"
        + _module_body(shapes_draw)
        + f"\n\nSHAPES_TRAIN_SIZE, SHAPES_TEST_SIZE, SHAPES_SEED = {SHAPES_TRAIN_SIZE}, {SHAPES_TEST_SIZE}, {SHAPES_SEED}\n"
        "\n\ndef load_data(root):\n"
        '    """The generated shapes dataset as uint8 tensors (root is not used: nothing is read)."""\n'
        "    train = make_shapes(SHAPES_TRAIN_SIZE, SHAPES_SEED)\n"
        "    test = make_shapes(SHAPES_TEST_SIZE, SHAPES_SEED + 1)\n"
        "    return train, test, len(SHAPES_CLASSES)\n"
    )

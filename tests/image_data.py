"""Random images as an ImageData: for tests that train an image lesson without any files."""

from __future__ import annotations

import torch


def random_image_data(train: int = 32, test: int = 16, seed: int = 0):
    """`train` and `test` random 32x32 RGB images with random labels of CIFAR-10's ten classes."""
    from babytui.core.datasets import ImageData
    from babytui.core.datasets.cifar10 import CIFAR10_CLASSES

    g = torch.Generator().manual_seed(seed)
    return ImageData(
        "cifar10",
        torch.randint(0, 256, (train, 3, 32, 32), dtype=torch.uint8, generator=g),
        torch.randint(0, 10, (train,), generator=g),
        torch.randint(0, 256, (test, 3, 32, 32), dtype=torch.uint8, generator=g),
        torch.randint(0, 10, (test,), generator=g),
        CIFAR10_CLASSES,
    )

"""Data augmentation done on the device, a whole batch at once (no per-image transforms).

A random crop with padding is the same as shifting each image by up to `pad` pixels and
filling what comes in with zeros; a horizontal flip mirrors about half of them. Both are
done with a handful of tensor operations on the batch, as the fastest CIFAR-10 trainers do
(airbench), so they cost next to nothing beside the network's own step.
"""

from __future__ import annotations

import torch


def augmentation_generator(seed: int, step: int, device: torch.device) -> torch.Generator:
    """The random source of one batch's augmentation: fixed by the run's seed and the step.

    Keyed by the step, it needs no state in a checkpoint: a resumed run draws the same
    crops and flips a run never interrupted would have drawn.
    """
    generator = torch.Generator(device=device)
    generator.manual_seed((seed * 1_000_003 + step) % (2**63))
    return generator


def crop_flip(images: torch.Tensor, pad: int, flip: bool, generator: torch.Generator) -> torch.Tensor:
    """A batch (B, C, H, W) randomly shifted by up to `pad` pixels each way and, if `flip`,
    mirrored left to right with a chance of one half per image; shape and dtype are kept.

    The labels do not change: a cat moved or mirrored is still a cat.
    """
    if images.ndim != 4:
        raise ValueError(f"expected a batch (B, C, H, W), got shape {tuple(images.shape)}")
    n, _, h, w = images.shape
    device = images.device
    out = images
    if pad > 0:
        padded = torch.nn.functional.pad(images, (pad, pad, pad, pad))  # zeros around, as RandomCrop(padding=pad)
        shift_y = torch.randint(0, 2 * pad + 1, (n,), generator=generator, device=device)
        shift_x = torch.randint(0, 2 * pad + 1, (n,), generator=generator, device=device)
        rows = torch.empty_like(padded[:, :, :h, :])
        for s in range(2 * pad + 1):  # one copy per shift, not per image
            chosen = shift_y == s
            rows[chosen] = padded[chosen, :, s : s + h, :]
        out = torch.empty_like(images)
        for s in range(2 * pad + 1):
            chosen = shift_x == s
            out[chosen] = rows[chosen, :, :, s : s + w]
    if flip:
        mirror = torch.rand(n, generator=generator, device=device) < 0.5
        out = torch.where(mirror.view(n, 1, 1, 1), out.flip(-1), out)
    return out

"""Images/s of one lesson's training step against the batch size, on the device given.

The step is the image loop's own: augmentation (if the lesson's settings ask for it), the
[-1, 1] scaling, channels-last (if asked), forward, loss, backward and the optimizer's step,
on random pictures already on the device (the data's source does not matter here). Each batch
size runs a few warm-up steps, then about `--images` pictures, timed with the device synced.

    python benchmarks/batch_throughput.py [--lesson 21] [--device cpu|cuda] [--images 4096]
        [--sizes 4,16,64,256,1024]

The figure behind lesson 21's "why batch 4 starves a GPU": a step costs a fixed part (Python,
one kernel launch per operation, the optimizer's pass over every weight) plus a part that grows
with the batch; at batch 4 the fixed part is nearly all of it.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch
from torch import nn

from babytui.core.augment import augmentation_generator, crop_flip
from babytui.core.datasets import normalize
from babytui.core.device import available_devices
from babytui.core.lessons import get_lesson
from babytui.core.optim import build_optimizer

SIZES = (4, 16, 64, 256, 1024)
WARMUP_STEPS = 3
"""Untimed steps first: the allocator, cuDNN's choice of algorithm and the caches settle."""


def sync(device: torch.device) -> None:
    """Wait for the device to finish what it was given (a GPU runs behind the Python that feeds it)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def images_per_second(lesson, settings, device: torch.device, batch: int, images: int) -> float:
    """Images/s of `lesson`'s training step at this batch size, over about `images` pictures."""
    torch.manual_seed(settings.seed)
    model = lesson.build_model(settings, 10).to(device)
    if settings.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = build_optimizer(model.parameters(), settings)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=settings.label_smoothing)
    pictures = torch.randint(0, 256, (batch, 3, 32, 32), dtype=torch.uint8, device=device)
    labels = torch.randint(0, 10, (batch,), device=device)
    steps = max(3, images // batch)

    def step(i: int) -> None:
        x = pictures
        if settings.crop_pad or settings.flip:
            x = crop_flip(x, settings.crop_pad, settings.flip, augmentation_generator(settings.seed, i, device))
        x = normalize(x)
        if settings.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(x), labels).backward()
        optimizer.step()

    for i in range(WARMUP_STEPS):
        step(i)
    sync(device)
    started = time.perf_counter()
    for i in range(steps):
        step(i)
    sync(device)
    return steps * batch / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lesson", type=int, default=21)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--images", type=int, default=4096, help="pictures timed at each batch size")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="batch sizes, comma-separated")
    args = parser.parse_args()
    name = args.device.strip().lower()
    if name.split(":")[0] not in available_devices():
        print(f"device {args.device!r} is not on this machine (here: {', '.join(available_devices())})", file=sys.stderr)
        return 2
    try:
        sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        print(f"--sizes must be whole numbers separated by commas, not {args.sizes!r}", file=sys.stderr)
        return 2
    lesson = get_lesson(args.lesson)
    if not lesson.is_image:
        print(f"lesson {args.lesson} trains no image network; pick one of the image lessons (10-21)", file=sys.stderr)
        return 2
    device = torch.device(name)
    settings = lesson.defaults
    label = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu, {torch.get_num_threads()} threads"
    print(f"lesson {lesson.number} ({lesson.title}), training step on {label}")
    print(f"{'batch':>6} {'images/s':>10} {'ms/step':>9}")
    for batch in sizes:
        rate = images_per_second(lesson, settings, device, batch, args.images)
        print(f"{batch:>6} {rate:>10,.0f} {1000 * batch / rate:>9.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

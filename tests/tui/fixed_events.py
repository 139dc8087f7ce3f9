"""Core events made of fixed numbers, for the views' tests and snapshots.

No value here comes out of torch arithmetic (a model's initialisation, a training step): those
differ in their last bits from one CPU to another, and a snapshot of them does too. Every number
is exact integer arithmetic scaled by a power of two or a plain decimal, the same everywhere.
"""

from __future__ import annotations

import math

import torch

from babytui.core.events import EpochEnded, Finished, Note, Predictions, RunStarted, StepLogged, TrainingImagesFed, WeightsSnapshot
from babytui.core.lessons import get_lesson

CLASSES = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def fixed_tensor(shape: tuple[int, ...], salt: int, scale: float) -> torch.Tensor:
    """Values spread over [-scale, scale] by a fixed pattern (integer arithmetic, then one division)."""
    count = math.prod(shape)
    values = [((i * 7919 + salt * 104_729) % 2001 - 1000) * scale / 1000 for i in range(count)]
    return torch.tensor(values, dtype=torch.float32).reshape(shape)


def lesson_14_shapes() -> dict[str, tuple[int, ...]]:
    """The names and shapes of lesson 14's parameters (its layers, not their random values)."""
    lesson = get_lesson(14)
    with torch.device("meta"):
        model = lesson.build_model(lesson.settings(), 10)
    return {name: tuple(p.shape) for name, p in model.named_parameters()}


def injected_events(wrong: int = 9, images: int = 40) -> list:
    """A fixed lesson 14 state: 2 epochs of losses, weights, predictions and a confusion matrix."""
    shapes = lesson_14_shapes()
    params = {name: fixed_tensor(shape, salt, 0.25 / (1 + salt)) for salt, (name, shape) in enumerate(shapes.items())}
    grads = {name: torch.full(shape, 0.01) for name, shape in shapes.items()}
    pics = (torch.arange(images * 3 * 32 * 32, dtype=torch.int64) * 2654435761 % 256).to(torch.uint8).reshape(images, 3, 32, 32)
    labels = torch.arange(images) % 10
    predicted = labels.clone()
    predicted[:wrong] = (labels[:wrong] + 1) % 10
    probabilities = torch.full((images, 10), 0.02)
    probabilities[torch.arange(images), predicted] = 0.7
    probabilities[torch.arange(images), (predicted + 2) % 10] = 0.14
    confusion = tuple(tuple(50 + 40 * (i == j) + (i * j) % 7 for j in range(10)) for i in range(10))
    count = sum(math.prod(shape) for shape in shapes.values())
    events: list = [RunStarted(14, "cpu", 2, 500, 1000, count, "cifar10", CLASSES, 2000, 1000)]
    for step in range(50, 1001, 50):
        losses = tuple(2.3 * 0.999**s + 0.3 * ((s * 7919) % 13) / 13 for s in range(step - 49, step + 1))
        events.append(StepLogged(1 + (step > 500), step, losses[-1], losses, 1000, 400.0, step / 100, (1000 - step) / 100))
        if step % 500 == 0:
            epoch = step // 500
            events.append(EpochEnded(epoch, step, 1.9 - 0.3 * epoch, 1.8 - 0.3 * epoch, 30.0 + 10 * epoch, confusion, 5.0))
    events.append(WeightsSnapshot(1000, "epoch", params, grads))
    events.append(Predictions(1000, pics, labels, probabilities, CLASSES))
    return events


def lesson_5_events() -> list:
    """Lesson 5's one update, as its run yields it, with round numbers: weights before and after."""
    weight = torch.tensor([[0.25, -0.5, 0.125, 0.375]])
    bias = torch.tensor([0.125])
    grad_w = torch.tensor([[1.5, 3.0, 4.5, 6.0]])
    grad_b = torch.tensor([1.5])
    after_w, after_b = weight - 0.125 * grad_w, bias - 0.125 * grad_b
    return [
        RunStarted(5, "cpu", 1, 1, 1, 5),
        WeightsSnapshot(0, "before", {"weight": weight, "bias": bias}, {"weight": None, "bias": None}),
        Note("weight, bias (before the update)", "[[ 0.2500, -0.5000,  0.1250,  0.3750]]   shape (1, 4)\n[0.1250]   shape (1,)"),
        Note("output (before any update)", "[0.7500]   shape (1,)"),
        StepLogged(1, 1, 0.5625, (0.5625,), 1, 1000.0, 0.001, 0.0),
        WeightsSnapshot(1, "after", {"weight": after_w, "bias": after_b}, {"weight": grad_w, "bias": grad_b}),
        Note("weight, bias (after the update)", "[[ 0.0625, -0.8750, -0.4375, -0.3750]]   shape (1, 4)\n[-0.0625]   shape (1,)"),
        Note("final loss on all samples", "3.5156"),
        Finished(5, "cpu", 1, 1, 0.001, 1000.0, 3.515625, outputs=(-1.875,), targets=(0.0,)),
    ]


def lesson_8_events() -> list:
    """A lesson 8 run of three updates, as its events come, with round numbers."""
    outputs = ((0.3125, 0.3, 0.3125, 0.3), (0.3125, 0.3125, 0.3125, 0.3125), (0.3125, 0.3125, 0.3125, 0.3125))
    shapes = {"linear1.weight": (2, 4), "linear1.bias": (2,), "linear2.weight": (1, 2), "linear2.bias": (1,)}
    params = {name: fixed_tensor(shape, salt, 0.5) for salt, (name, shape) in enumerate(shapes.items())}
    grads = {name: torch.full(shape, 0.03125) for name, shape in shapes.items()}
    events: list = [
        RunStarted(8, "cpu", 3, 1, 3, 13),
        WeightsSnapshot(0, "start", params, {name: None for name in shapes}),
        Note("output (before any update)", "[0.3125, 0.3000, 0.3125, 0.3000]   shape (4,)"),
    ]
    for step, out in enumerate(outputs, 1):
        shown = ", ".join(f"{v:.4f}" for v in out)
        events.append(Note(f"output (epoch {step}, update {step})", f"[{shown}]   shape (4,)\nshould be getting closer to [0, 1, 1, 0]", step))
        events.append(WeightsSnapshot(step, "live", params, grads))
    events += [
        StepLogged(3, 3, 0.28125, (0.3125, 0.296875, 0.28125), 3, 4000.0, 0.003, 0.0),
        WeightsSnapshot(3, "end", params, grads),
        Note("final loss on all samples", "0.2813"),
        Finished(8, "cpu", 3, 3, 0.003, 4000.0, 0.28125, outputs=(0.3125,) * 4, targets=(0.0, 1.0, 1.0, 0.0)),
    ]
    return events


def fed_event(count: int = 24, epoch: int = 3) -> TrainingImagesFed:
    """A fixed batch of 'augmented' training images: integer patterns, their labels counting down from 9."""
    pics = (torch.arange(count * 3 * 32 * 32, dtype=torch.int64) * 40503 % 256).to(torch.uint8).reshape(count, 3, 32, 32)
    labels = (9 - torch.arange(count) % 10).to(torch.int64)
    return TrainingImagesFed(1000, epoch, pics, labels, CLASSES, "crop (padding 4), flip")

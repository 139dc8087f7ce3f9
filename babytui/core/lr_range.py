"""The LR range test: train a throwaway copy of the network while the lr grows each batch.

Leslie Smith's test ("Cyclical Learning Rates for Training Neural Networks", 2015): the lr
starts tiny and is multiplied by the same factor every batch; the loss first stays put, then
falls, then explodes, and the test stops there. The lr where the smoothed loss falls fastest
(against log lr) is a good lr to train with, and a good peak for a one-cycle schedule.

While it runs, a moving average decides when the loss has exploded; it lags behind the lr, so
the suggestion is read afterwards from a centred average of the whole curve, which does not.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Iterator

import torch
from torch import nn

from .control import Control
from .datasets import ImageData, normalize
from .device import resolve_device
from .events import Event, Note, RangeTestDone, RangeTestLogged
from .optim import build_optimizer
from .validation import carve_validation

if TYPE_CHECKING:
    from .lessons.images import ImageLesson
    from .settings import Settings

SMOOTHING = 0.98
"""Weight of the old average in the smoothed loss (bias-corrected), as fastai's lr_find uses."""
EXPLODED = 4.0
"""The test stops once the smoothed loss is this many times its lowest so far."""
REPORT_INTERVAL = 0.2
"""Seconds between RangeTestLogged events."""


def range_lrs(min_lr: float, max_lr: float, steps: int) -> list[float]:
    """`steps` lrs from `min_lr` to `max_lr`, each the one before times the same factor."""
    growth = (max_lr / min_lr) ** (1 / (steps - 1))
    return [min_lr * growth**i for i in range(steps)]


def range_test(lesson: ImageLesson, s: Settings, control: Control, data: ImageData) -> Iterator[Event]:
    """Run the test with the lesson's network, optimizer and batch size; RangeTestDone at the end."""
    device = resolve_device(s.device)
    data = data.to(device)
    split = carve_validation(data, s.validation_size)  # the test sees only what training would
    torch.manual_seed(s.seed)
    model = lesson.build_model(s, len(data.classes)).to(device)
    optimizer = build_optimizer(model.parameters(), s.replace(lr=s.range_min_lr))
    loss_fn = nn.CrossEntropyLoss()
    shuffle = torch.Generator().manual_seed(s.seed)
    lrs = range_lrs(s.range_min_lr, s.range_max_lr, s.range_steps)
    yield Note(
        "LR range test",
        f"{s.range_steps} batches of {s.batch_size} with {s.optimizer}, the lr from {s.range_min_lr:g} to "
        f"{s.range_max_lr:g}, x{lrs[1] / lrs[0]:.4f} each batch; it stops when the loss explodes",
    )
    seen: list[float] = []
    losses: list[float] = []
    smoothed: list[float] = []
    average, lowest, reason = 0.0, math.inf, "end"
    reported, last_report, started = 0, time.perf_counter(), time.perf_counter()
    batches: list[torch.Tensor] = []
    for i, lr in enumerate(lrs):
        if not control.wait_turn():
            reason = "stopped"
            break
        if not batches:  # a new shuffle of the training images whenever the last one is used up
            batches = list(split.train[torch.randperm(len(split.train), generator=shuffle)].to(device).split(s.batch_size))
        idx = batches.pop(0)
        for group in optimizer.param_groups:
            group["lr"] = lr
        inputs = normalize(data.train_images[idx])  # (B, 3, 32, 32)
        labels = data.train_labels[idx]  # (B,)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        optimizer.step()
        value = loss.item()  # every batch: whether to stop depends on it
        seen.append(lr)
        losses.append(value)
        average = SMOOTHING * average + (1 - SMOOTHING) * value
        smoothed.append(average / (1 - SMOOTHING ** (i + 1)))
        exploded = not math.isfinite(smoothed[-1]) or smoothed[-1] > EXPLODED * lowest
        now = time.perf_counter()
        if exploded or i == len(lrs) - 1 or now - last_report >= REPORT_INTERVAL or control.paused:
            yield RangeTestLogged(i + 1, len(lrs), tuple(seen[reported:]), tuple(losses[reported:]))
            reported, last_report = len(seen), now
        if exploded:
            reason = "exploded"
            break
        lowest = min(lowest, smoothed[-1])
    if reported < len(seen):
        yield RangeTestLogged(len(seen), len(lrs), tuple(seen[reported:]), tuple(losses[reported:]))
    curve = centred(losses)
    suggestion, low = suggest(seen, curve)
    done = RangeTestDone(tuple(seen), tuple(losses), tuple(curve), suggestion, low, reason, time.perf_counter() - started)
    yield done
    yield Note("LR range test done", describe(done))


def centred(values: list[float], half: int | None = None) -> list[float]:
    """Each value averaged with `half` neighbours on either side (fewer at the ends): no lag.

    `half` defaults to a thirtieth of the curve; values that are not finite count as infinite.
    """
    n = len(values)
    half = max(1, n // 30) if half is None else half
    clean = [v if math.isfinite(v) else math.inf for v in values]
    out = []
    for i in range(n):
        window = clean[max(0, i - half) : i + half + 1]
        out.append(sum(window) / len(window))
    return out


def suggest(lrs: list[float], smoothed: list[float]) -> tuple[float | None, float | None]:
    """(the lr where the smoothed loss falls fastest against log10 lr, the lr where it is lowest).

    The slope at a point is taken over a twentieth of the curve around it; only the points
    before the lowest one count, and not the first tenth; None where the loss never fell.
    """
    finite = [i for i, v in enumerate(smoothed) if math.isfinite(v)]
    if len(finite) < 5:
        return None, None
    low = min(finite, key=lambda i: smoothed[i])
    reach = max(1, len(smoothed) // 40)
    start = max(reach, len(smoothed) // 10)
    best, steepest = None, 0.0
    for i in range(start, low - reach + 1):
        a, b = i - reach, i + reach
        slope = (smoothed[b] - smoothed[a]) / (math.log10(lrs[b]) - math.log10(lrs[a]))
        if slope < steepest:
            best, steepest = i, slope
    return (None if best is None else lrs[best]), lrs[low]


def describe(done: RangeTestDone) -> str:
    """The test's outcome in a few lines for the log and the command line."""
    why = {"exploded": "the loss exploded", "end": "the lr reached its maximum", "stopped": "it was stopped"}[done.reason]
    lines = [f"{len(done.lrs)} batches in {done.seconds:.1f} s; it ended because {why}"]
    if done.suggestion is None:
        lines.append("the loss never fell: no lr to suggest (an activation on the output can stop it learning; so can too few range steps)")
    else:
        lines.append(f"suggested lr {done.suggestion:.3g}: where the loss fell fastest")
    if done.lowest is not None and done.suggestion is not None:
        lines.append(f"the loss was lowest at lr {done.lowest:.3g}; beyond it, training comes apart")
    return "\n".join(lines)

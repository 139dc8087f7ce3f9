"""The loop of the small lessons (5-9): a few samples, every update printed the way a notebook would."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Iterator

import torch
from torch import nn

from .control import Clock, Control
from .errors import DivergedError
from .events import Event, Finished, Note, RunStarted
from .notebook import fmt, parameter_count, snapshot
from .settings import Settings
from .train import LOG_INTERVAL, log_steps

if TYPE_CHECKING:
    from .lessons.small import SmallLesson


def note_due(step: int, total: int) -> bool:
    """Show the first few updates, then about twenty spread evenly, and the last."""
    return step <= 5 or step == total or step % max(1, total // 20) == 0


def train_small(lesson: SmallLesson, s: Settings, control: Control) -> Iterator[Event]:
    """Epochs of mini-batches over the lesson's samples, with the outputs shown as they move."""
    model = lesson.build_model(s)
    inputs, targets = lesson.data(s)  # (N, F), (N, 1)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(lesson.trained_parameters(model, s), lr=s.lr)
    epochs = lesson.epochs(s)
    batch_size = lesson.batch_size(s)
    batches = [slice(i, i + batch_size) for i in range(0, len(inputs), batch_size)]
    total = epochs * len(batches)
    if s.max_steps:
        total = min(total, s.max_steps)
    yield RunStarted(lesson.number, "cpu", epochs, len(batches), total, parameter_count(model))
    goal = lesson.goal(s)

    with torch.no_grad():
        before = model(inputs)
    yield snapshot(model, 0, "before" if lesson.show_weights else "start")
    if lesson.show_weights:
        yield Note("weight, bias (before the update)", f"{fmt(model.weight)}\n{fmt(model.bias)}")
    yield Note("output (before any update)", fmt(before.squeeze(1)))

    step = 0
    epoch = 1
    clock = Clock()
    last_log = time.perf_counter()
    pending: list[torch.Tensor] = []
    stopped = False
    for epoch in range(1, epochs + 1):
        for batch in batches:
            if step >= total:
                break
            if not clock.wait_turn(control):
                stopped = True
                break
            optimizer.zero_grad()
            outputs = model(inputs[batch])
            loss = lesson.loss(loss_fn, outputs, targets[batch], s)
            if step == 0 and (note := lesson.loss_note(outputs, targets[batch], loss, s)) is not None:
                yield note
            loss.backward()
            optimizer.step()
            step += 1
            value = loss.item()  # a CPU tensor of one number: no device sync to avoid here
            if not math.isfinite(value):
                raise DivergedError(step, value, s.lr)
            pending.append(loss.detach())
            if note_due(step, total) or control.paused:
                with torch.no_grad():
                    out = model(inputs).squeeze(1)
                yield Note(f"output (epoch {epoch}, update {step})", fmt(out) + f"\nshould be getting closer to {goal}", step)
                if not lesson.show_weights:
                    yield snapshot(model, step, "live")
            now = time.perf_counter()
            if now - last_log >= LOG_INTERVAL or step == total or control.paused:
                yield log_steps(pending, epoch, step, total, clock, batch_size, s.lr)
                pending, last_log = [], now
        else:
            continue
        break
    elapsed = clock.seconds
    if pending:
        yield log_steps(pending, epoch, step, total, clock, batch_size, s.lr)
    if lesson.show_weights:
        yield snapshot(model, step, "after")
        yield Note("weight, bias (after the update)", f"{fmt(model.weight)}\n{fmt(model.bias)}")
    else:
        yield snapshot(model, step, "end")
    with torch.no_grad():
        outputs = model(inputs)
        final = loss_fn(outputs, targets).item()
    yield Note("final loss on all samples", fmt(final))
    yield Finished(
        lesson.number,
        "cpu",
        step,
        epoch if (step and step % len(batches) == 0) else epoch - 1,
        elapsed,
        step * batch_size / elapsed if elapsed > 0 else 0.0,
        final,
        outputs=tuple(outputs.flatten().tolist()),
        targets=tuple(targets.flatten().tolist()),
        stopped=stopped,
    )

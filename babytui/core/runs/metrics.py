"""A run's metrics file read back: every step's loss, each epoch, the start and the end."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .files import _reason


@dataclass
class Metrics:
    """A run's metrics file read back: what the table and the loss plot need."""

    losses: list[tuple[int, float]] = field(default_factory=list)
    """(step, training loss) of every update logged, a resumed part replacing what it redid."""
    epochs: list[dict[str, Any]] = field(default_factory=list)
    """One record per epoch ended (train_loss, test_loss, test_accuracy...); a part epoch scored at a
    stop is replaced by the same epoch's record once the resumed run ends it."""
    times: list[tuple[int, float]] = field(default_factory=list)
    """(step, training seconds) at the end of each logged stretch of steps."""
    lr_changes: list[dict[str, Any]] = field(default_factory=list)
    """Each change of the lr made while the run went on: step (updates done), lr, previous."""
    best: dict[str, Any] | None = None
    """The best epoch restored at the end (epoch, val_accuracy, test_accuracy, last_test_accuracy)."""
    start: dict[str, Any] | None = None
    """The last 'start' record (device, dataset, planned steps)."""
    final: dict[str, Any] | None = None
    """The 'final' record after the last start, None when the run never got there."""
    elapsed: float = 0.0
    """Training seconds at the last update logged."""
    checkpoint_step: int | None = None
    """Step of the last checkpoint saved."""
    error: str = ""
    """Why training failed, when it did."""
    problems: list[str] = field(default_factory=list)
    """Lines that could not be read (a torn last line after a crash), in words."""


def read_metrics(path: Path) -> Metrics:
    """Parse a metrics file, skipping (and noting) lines that are not whole JSON records."""
    metrics = Metrics()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return metrics
    except OSError as exc:
        metrics.problems.append(f"{path.name}: cannot read it: {_reason(exc)}")
        return metrics
    lines = raw.split(b"\n")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a record")
        except ValueError:
            last = number == len(lines) or all(not rest.strip() for rest in lines[number:])
            where = "the last line is cut off (the run ended while writing it)" if last else f"line {number} is damaged"
            metrics.problems.append(f"{path.name}: {where}; it is skipped")
            continue
        try:
            kind = record.get("type")
            if kind == "start":
                metrics.start, metrics.final, metrics.error = record, None, ""
                resumed_from = record.get("resumed_from")
                if resumed_from is not None:  # the resumed part redoes the updates after its checkpoint
                    metrics.losses = [(s, v) for s, v in metrics.losses if s <= resumed_from]
                    metrics.epochs = [e for e in metrics.epochs if e.get("step", 0) <= resumed_from]
                    metrics.times = [t for t in metrics.times if t[0] <= resumed_from]
                    metrics.lr_changes = [c for c in metrics.lr_changes if c["step"] < resumed_from]
            elif kind == "steps":
                last_step = int(record.get("step", 0))
                values = record.get("losses") or []
                first = last_step - len(values) + 1
                losses = [(first + i, float(v)) for i, v in enumerate(values)]  # all or nothing of a line
                elapsed = float(record.get("elapsed", metrics.elapsed))
                metrics.losses.extend(losses)
                metrics.elapsed = elapsed
                metrics.times.append((last_step, elapsed))
            elif kind == "epoch":
                # a stopped run scores its part of an epoch; once resumed, the whole epoch's record replaces it
                metrics.epochs = [e for e in metrics.epochs if e.get("epoch") != record.get("epoch")]
                metrics.epochs.append(record)
            elif kind == "lr":
                metrics.lr_changes.append({"step": int(record["step"]), "lr": float(record["lr"]), "previous": record.get("previous")})
            elif kind == "best":
                metrics.best = record
            elif kind == "checkpoint":
                metrics.checkpoint_step = record.get("step")
            elif kind == "final":
                metrics.final = record
            elif kind == "error":
                metrics.error = str(record.get("message", ""))
        except (TypeError, ValueError, AttributeError):  # valid JSON with a wrong value in it
            metrics.problems.append(f"{path.name}: line {number} has a value of the wrong kind; it is skipped")
    return metrics

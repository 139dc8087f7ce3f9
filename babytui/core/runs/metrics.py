"""A run's metrics file read back: every step's loss, each epoch, the start and the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .files import MAX_METRICS_BYTES, UnsafeFile, _reason, parse_json, read_run_file


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
    data: dict[str, Any] | None = None
    """What the run first trained on (dataset, sizes, classes, fingerprint), None when it did not say."""
    unsaved: str = ""
    """Why the last checkpoint of the run could not be saved (a full disk), empty when it was."""
    error: str = ""
    """Why training failed, when it did."""
    problems: list[str] = field(default_factory=list)
    """Lines that could not be read (a torn last line after a crash), in words."""


def _count(value: Any) -> bool:
    return type(value) is int and 0 <= value < 2**53


def _number(value: Any) -> bool:
    return type(value) in (int, float)  # finite: parse_json refuses the rest


def _maybe(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or check(value)


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _numbers(value: Any) -> bool:
    return isinstance(value, list) and all(_number(v) for v in value)


FIELDS: dict[str, dict[str, Callable[[Any], bool]]] = {
    "start": {
        "device": _text, "dataset": _text, "epochs": _count, "steps_per_epoch": _count, "total_steps": _count,
        "resumed_from": _maybe(_count), "data": _maybe(lambda v: isinstance(v, dict)),
    },
    "steps": {"epoch": _count, "step": _count, "elapsed": _number, "losses": _numbers, "lr": _maybe(_number)},
    "epoch": {
        "epoch": _count, "step": _count, "train_loss": _maybe(_number), "test_loss": _maybe(_number),
        "test_accuracy": _maybe(_number), "seconds": _number, "val_loss": _maybe(_number), "val_accuracy": _maybe(_number),
    },
    "lr": {"step": _count, "lr": _number, "previous": _maybe(_number), "current": _maybe(_number)},
    "best": {
        "epoch": _count, "step": _count, "val_accuracy": _maybe(_number), "test_loss": _maybe(_number),
        "test_accuracy": _maybe(_number), "last_test_accuracy": _maybe(_number),
    },
    "checkpoint": {"epoch": _count, "step": _count},
    "unsaved": {"step": _count, "reason": _text},
    "final": {
        "steps": _count, "epochs": _count, "seconds": _number, "final_loss": _maybe(_number),
        "test_accuracy": _maybe(_number), "stopped": lambda v: isinstance(v, bool),
    },
    "error": {"message": _text},
}
"""What each kind of record may hold: a value of another kind makes the line unusable (skipped, noted)."""


def _wrong_field(record: dict[str, Any]) -> str | None:
    """The first field of a record whose value is not of its kind, or None when the record is sound."""
    for name, check in FIELDS.get(record.get("type"), {}).items():
        if name in record and not check(record[name]):
            return name
    if record.get("type") == "steps" and record.get("step", 0) < len(record.get("losses") or []):
        return "step"
    return None


STEPS_START = b'{"type": "steps"'
"""How a steps record's line begins, as the recorder writes it."""


def read_metrics(path: Path, losses: bool = True) -> Metrics:
    """Parse a metrics file, skipping (and noting) lines that are not whole, sound JSON records.

    `losses` False leaves the steps records unread (no losses, times or elapsed): ten times faster
    on a long run, whose 300,000 losses are most of its file."""
    metrics = Metrics()
    try:
        raw = read_run_file(path, MAX_METRICS_BYTES)
    except UnsafeFile as exc:
        metrics.problems.append(f"{exc}; it is not read")
        return metrics
    except OSError as exc:
        metrics.problems.append(f"{path.name}: cannot read it: {_reason(exc)}")
        return metrics
    if raw is None:
        return metrics
    lines = raw.split(b"\n")
    for number, line in enumerate(lines, 1):
        if not line.strip() or (not losses and line.startswith(STEPS_START)):
            continue
        try:
            record = parse_json(line)
            if not isinstance(record, dict):
                raise ValueError("not a record")
        except ValueError:
            last = number == len(lines) or all(not rest.strip() for rest in lines[number:])
            where = "the last line is cut off (the run ended while writing it)" if last else f"line {number} is damaged"
            metrics.problems.append(f"{path.name}: {where}; it is skipped")
            continue
        wrong = _wrong_field(record)
        if wrong is not None:
            metrics.problems.append(f"{path.name}: line {number} has a {wrong} of the wrong kind; it is skipped")
            continue
        kind = record.get("type")
        if kind == "start":
            metrics.start, metrics.final, metrics.error = record, None, ""
            if metrics.data is None:
                metrics.data = record.get("data")
            resumed_from = record.get("resumed_from")
            if resumed_from is not None:  # the resumed part redoes the updates after its checkpoint
                metrics.losses = [(s, v) for s, v in metrics.losses if s <= resumed_from]
                metrics.epochs = [e for e in metrics.epochs if e.get("step", 0) <= resumed_from]
                metrics.times = [t for t in metrics.times if t[0] <= resumed_from]
                metrics.lr_changes = [c for c in metrics.lr_changes if c["step"] < resumed_from]
        elif kind == "steps":
            values = record.get("losses") or []
            first = record.get("step", 0) - len(values) + 1
            metrics.losses.extend((first + i, float(v)) for i, v in enumerate(values))
            metrics.elapsed = float(record.get("elapsed", metrics.elapsed))
            metrics.times.append((record.get("step", 0), metrics.elapsed))
        elif kind == "lr" and "step" in record and "lr" in record:
            metrics.lr_changes.append({"step": record["step"], "lr": float(record["lr"]), "previous": record.get("previous")})
        elif kind == "best":
            metrics.best = record
        elif kind == "epoch":
            # a stopped run scores its part of an epoch; once resumed, the whole epoch's record replaces it
            metrics.epochs = [e for e in metrics.epochs if e.get("epoch") != record.get("epoch")]
            metrics.epochs.append(record)
        elif kind == "checkpoint":
            metrics.checkpoint_step, metrics.unsaved = record.get("step"), ""
        elif kind == "unsaved":
            metrics.unsaved = f"the checkpoint at step {record.get('step', '?')} was not saved ({record.get('reason', '?')})"
        elif kind == "final":
            metrics.final = record
        elif kind == "error":
            metrics.error = str(record.get("message", ""))
    return metrics

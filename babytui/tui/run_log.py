"""Each lesson's last run as the views saw it, so that a lesson shows its own output when you come back.

The core's events are kept as they came, less what a view only ever shows the newest of (the
weights copied every second, the predictions and the augmented training images of each epoch).
The run before is kept too: played first, it is what the loss plot keeps as its grey ghost. Two
small events of the interface's own join them: a failure, and the history of a resumed run read
back from its metrics file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babytui.core.events import Predictions, RunStarted, TrainingImagesFed, WeightsSnapshot

KEPT_TAGS = ("before", "after")
"""Weight copies kept whatever comes after them: lesson 5 shows the update between the two."""


@dataclass(frozen=True)
class RunFailed:
    """A run of the lesson could not go on (shown in the log)."""

    lesson: int
    """The lesson."""
    message: str
    """Why, for the user."""


@dataclass(frozen=True)
class EarlierRun:
    """What a resumed run did before its checkpoint, read back from its metrics file."""

    steps: tuple[int, ...]
    """The step of each training loss."""
    losses: tuple[float, ...]
    """The training loss of each of those steps."""
    epochs: tuple[tuple[int, float, float | None, float | None], ...]
    """(step, train loss, test loss, test accuracy) of each whole epoch before the checkpoint."""


def earlier_run(metrics: Any, resumed_from: int, steps_per_epoch: int) -> EarlierRun:
    """The part of a run's Metrics before `resumed_from`: the updates after it are done again."""
    points = [(step, loss) for step, loss in metrics.losses if step <= resumed_from]
    epochs = []
    for record in metrics.epochs:
        step, epoch = record.get("step"), record.get("epoch")
        whole = isinstance(step, int) and isinstance(epoch, int) and step == epoch * steps_per_epoch
        if whole and step <= resumed_from and isinstance(record.get("train_loss"), (int, float)):
            epochs.append((step, float(record["train_loss"]), record.get("test_loss"), record.get("test_accuracy")))
    return EarlierRun(tuple(s for s, _ in points), tuple(v for _, v in points), tuple(epochs))


class RunLog:
    """One lesson's events: its last run, compacted, and the run before it."""

    def __init__(self) -> None:
        self.previous: list[Any] = []
        """The run before the last one."""
        self.current: list[Any] = []
        """The last run, from its RunStarted on (or only a failure, when none started)."""
        self._newest: dict[str, int] = {}  # kind -> index in `current` of the one event of it kept

    def add(self, event: Any) -> None:
        """Keep an event; a RunStarted begins a new run, and the last one becomes the previous."""
        if isinstance(event, RunStarted):
            self.previous, self.current, self._newest = self.current, [], {}
        kind = self._kind(event)
        if kind is not None and kind in self._newest:
            self.current[self._newest[kind]] = event
            return
        if kind is not None:
            self._newest[kind] = len(self.current)
        self.current.append(event)

    @staticmethod
    def _kind(event: Any) -> str | None:
        """What only the newest is kept of, or None for an event kept whatever follows."""
        if isinstance(event, WeightsSnapshot) and event.tag not in KEPT_TAGS:
            return "weights"
        if isinstance(event, Predictions):
            return "predictions"
        if isinstance(event, TrainingImagesFed):
            return "fed"
        return None

    def events(self) -> list[Any]:
        """Everything to play to the views, oldest first."""
        return [*self.previous, *self.current]

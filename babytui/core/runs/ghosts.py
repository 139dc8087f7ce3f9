"""The ghosts of the course: the newest saved run of each of a few earlier lessons, as its test
accuracy by epoch, for a later lesson's loss plot to draw under its own run.

Test accuracy, not a loss: label smoothing or another loss moves the loss's scale, while the share
of the same test images classified right means the same in every lesson. By epoch (a point's step
over the steps in one of its epochs), not by step: a batch-4 run takes 12,500 steps an epoch where
a batch-256 run takes 196, so at one epoch each has seen every training image once.

Read through the run store (never executing a file); a run that cannot be read is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from ..errors import BabytuiError
from .files import lesson_tag
from .metrics import Metrics
from .store import Run, RunStore

READ_AT_MOST = 12
"""The newest runs of one lesson read when looking for its ghosts: older ones are not reached."""


@dataclass(frozen=True)
class DataKey:
    """What a run was scored on: its accuracies compare only with runs on the same test images."""

    dataset: str
    """The dataset's name ('cifar10', 'shapes', 'folder')."""
    test_size: int = 0
    """Test images (0: not recorded)."""
    classes: tuple[str, ...] = ()
    """Class names (empty: not recorded)."""

    def matches(self, other: DataKey) -> bool:
        """True when both name the same dataset and nothing recorded on both sides differs."""
        return (
            self.dataset == other.dataset
            and not (self.test_size and other.test_size and self.test_size != other.test_size)
            and not (self.classes and other.classes and self.classes != other.classes)
        )


@dataclass(frozen=True)
class CourseGhost:
    """One earlier lesson's saved run, as the later lesson's plot draws it."""

    lesson: int
    """The lesson that ran."""
    run_id: str
    """The run."""
    data: DataKey
    """What it was scored on."""
    epochs: tuple[float, ...]
    """Where each scored point is, in epochs (a stopped run's last point can be part of one)."""
    accuracy: tuple[float, ...]
    """Test accuracy (%) at each."""
    result: float | None
    """Its final test accuracy: the restored epoch's when early stopping put one back."""
    finished: bool
    """True when it ran all it planned (every epoch, or until early stopping ended it); False when
    it was stopped, crashed or cut short by --max-steps."""

    @property
    def label(self) -> str:
        """Its key entry: '14 62.8%' (a run that did not finish: '14 52.0% (part)')."""
        result = self.result if self.result is not None else self.accuracy[-1]
        return f"{self.lesson} {result:.1f}%" + ("" if self.finished else " (part)")

    def on_steps(self, steps_per_epoch: int) -> tuple[list[float], list[float]]:
        """Its points on another run's step axis: one of its epochs at that run's `steps_per_epoch`."""
        return [e * steps_per_epoch for e in self.epochs], list(self.accuracy)


def ghost_of(lesson: int, run_id: str, metrics: Metrics) -> CourseGhost | None:
    """A run's metrics as a ghost; None when no epoch of it was scored on a test split."""
    start = metrics.start or {}
    per_epoch = start.get("steps_per_epoch") or 0
    points = []
    for record in metrics.epochs:
        accuracy = record.get("test_accuracy")
        if not isinstance(accuracy, (int, float)):
            continue
        epoch = record["step"] / per_epoch if per_epoch and "step" in record else float(record.get("epoch", 0))
        points.append((epoch, float(accuracy)))
    if not points:
        return None
    points.sort()
    final = metrics.final
    result = final.get("test_accuracy") if final is not None else None
    data = start.get("data") if isinstance(start.get("data"), dict) else {}
    test_size = data.get("test") if type(data.get("test")) is int else 0
    classes = start.get("classes") if isinstance(start.get("classes"), list) else data.get("classes")
    key = DataKey(str(start.get("dataset", "")), test_size, tuple(str(c) for c in classes or ()))
    planned = (start.get("epochs") or 0) * per_epoch
    cut = (start.get("total_steps") or 0) < planned  # --max-steps ended it before its epochs
    finished = final is not None and not final.get("stopped") and not cut
    return CourseGhost(lesson, run_id, key, tuple(e for e, _ in points), tuple(a for _, a in points), result, finished)


def _newest_first(runs: list[Run]) -> list[tuple[Run, int]]:
    """(run, lesson) of the runs that can be read, newest first (two runs may share an id's second)."""
    dated = []
    for run in runs:
        try:
            info = run.info()
        except BabytuiError:
            continue
        dated.append((float(info.get("created", 0.0)), run.id, run, info["lesson"]))
    dated.sort(key=lambda d: (d[0], d[1]), reverse=True)
    return [(run, lesson) for _, _, run, lesson in dated]


def course_ghosts(lessons: Iterable[int], store: RunStore | None = None) -> list[CourseGhost]:
    """For each lesson and each dataset it ran on, its ghost: the newest finished run with a scored
    epoch, else (none finished) the newest stopped or crashed one. Lessons in the order given.

    Finished first: a run stopped after one epoch a minute ago would hide what the lesson reaches.
    Runs still running are left out, and so is any run that cannot be read; never raises.
    """
    store = store or RunStore()
    try:
        every = store.runs()
    except BabytuiError:
        return []
    found: list[CourseGhost] = []
    for number in dict.fromkeys(lessons):
        mine = [run for run in every if lesson_tag(number) in run.id]
        chosen: dict[DataKey, CourseGhost] = {}
        for run, lesson in _newest_first(mine)[:READ_AT_MOST]:
            if lesson != number:
                continue
            try:
                if run.is_running():
                    continue
                ghost = ghost_of(number, run.id, run.metrics(losses=False))
            except Exception:  # noqa: BLE001  (a damaged run is left out, never a traceback)
                continue
            if ghost is None:
                continue
            held = chosen.get(ghost.data)
            if held is None or (ghost.finished and not held.finished):
                chosen[ghost.data] = ghost
        found.extend(chosen.values())
    return found


def ghosts_for(ghosts: Sequence[CourseGhost], data: DataKey) -> list[CourseGhost]:
    """One ghost a lesson (in their order) of those scored on the same test images as a run on `data`."""
    out: dict[int, CourseGhost] = {}
    for ghost in ghosts:
        if ghost.lesson not in out and ghost.data.matches(data):
            out[ghost.lesson] = ghost
    return list(out.values())

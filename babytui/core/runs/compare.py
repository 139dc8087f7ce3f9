"""Runs side by side: only the settings that differ between them, and their results, best beside last."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ..errors import RunError
from ..formatting import format_duration
from ..settings import FIELDS
from .metrics import Metrics
from .store import Run, RunStore
from .table import NOT_COMPARED

METRICS = (
    ("test_accuracy", "test accuracy", max, "%"),
    ("val_accuracy", "validation accuracy", max, "%"),
    ("train_loss", "train loss", min, ""),
    ("val_loss", "validation loss", min, ""),
    ("test_loss", "test loss", min, ""),
)
"""(key in an epoch record, label, which is best, unit) of each per-epoch result compared."""


@dataclass
class Result:
    """One per-epoch result of a run: the last value, and the best with its epoch."""

    last: float | None = None
    """The value at the run's end (for test accuracy: its result, the restored epoch's if one was)."""
    best: float | None = None
    """The best value of any epoch."""
    best_epoch: int | None = None
    """The epoch of the best value."""

    def plain(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"last": self.last, "best": self.best, "best_epoch": self.best_epoch}


@dataclass
class Compared:
    """One run in a comparison: what it is and how it did."""

    id: str
    """The run's id."""
    lesson: int
    """Its lesson."""
    status: str
    """finished, stopped, crashed, running."""
    epochs: int
    """Whole epochs done."""
    steps: int
    """Updates done."""
    seconds: float
    """Training time."""
    device: str
    """Where it trained."""
    results: dict[str, Result] = field(default_factory=dict)
    """Each of METRICS the run has, by key."""
    restored_epoch: int | None = None
    """The epoch whose weights were put back at the end (early stopping), None if none."""
    lr_changes: int = 0
    """How many times the lr was changed while it ran."""

    def plain(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "id": self.id, "lesson": self.lesson, "status": self.status, "epochs": self.epochs, "steps": self.steps,
            "seconds": round(self.seconds, 3), "device": self.device, "restored_epoch": self.restored_epoch,
            "lr_changes": self.lr_changes, **{key: result.plain() for key, result in self.results.items()},
        }


@dataclass
class Comparison:
    """Runs side by side."""

    runs: list[Compared]
    """The runs, in the order asked for."""
    differing: dict[str, list[str]]
    """Setting name to each run's value, as typed, for the settings that differ (and only those)."""

    def plain(self) -> dict[str, Any]:
        """JSON-ready: what `babytui runs --compare --json` prints."""
        return {"runs": [r.id for r in self.runs], "differing": self.differing, "results": [r.plain() for r in self.runs]}

    def rows(self) -> list[tuple[str, list[str]]]:
        """(label, a cell per run): the differing settings, then the results, best beside last."""
        rows: list[tuple[str, list[str]]] = [(FIELDS[n].label if n in FIELDS else n, values) for n, values in self.differing.items()]
        rows += [
            ("status", [r.status for r in self.runs]),
            ("epochs", [str(r.epochs) for r in self.runs]),
            ("time", [format_duration(r.seconds) if r.steps else "-" for r in self.runs]),
        ]
        for key, label, _, unit in METRICS:
            if any(key in r.results for r in self.runs):
                restored = key == "test_accuracy"
                rows.append((label, [_cell(r.results.get(key), unit, r.restored_epoch if restored else None) for r in self.runs]))
        if any(r.lr_changes for r in self.runs):
            rows.append(("lr changes", [str(r.lr_changes) for r in self.runs]))
        return rows


def _cell(result: Result | None, unit: str, restored: int | None) -> str:
    """'60.12% (best 61.30% @4)', or for a restored epoch '63.80% (restored @6)'."""
    if result is None or result.last is None:
        return "-"

    def shown(value: float) -> str:
        return f"{value:.2f}%" if unit else f"{value:.4f}"

    notes = [f"restored @{restored}"] if restored is not None else []
    if result.best is not None and shown(result.best) != shown(result.last):
        notes.append(f"best {shown(result.best)} @{result.best_epoch}")
    return shown(result.last) + (f" ({', '.join(notes)})" if notes else "")


def results(metrics: Metrics, final_test_accuracy: float | None) -> dict[str, Result]:
    """Each per-epoch result of a run's metrics: its last value and its best."""
    out: dict[str, Result] = {}
    for key, _, better, _ in METRICS:
        scored = [(e[key], int(e.get("epoch", 0))) for e in metrics.epochs if isinstance(e.get(key), (int, float))]
        if not scored:
            continue
        best_value, best_epoch = better(scored, key=lambda pair: pair[0])
        out[key] = Result(scored[-1][0], best_value, best_epoch)
    if final_test_accuracy is not None and "test_accuracy" in out:
        out["test_accuracy"].last = final_test_accuracy  # the run's result: a restored epoch's, when one was
    if metrics.best is not None and "test_loss" in out and isinstance(metrics.best.get("test_loss"), (int, float)):
        out["test_loss"].last = metrics.best["test_loss"]
    return out


def compare_runs(refs: Iterable[str], store: RunStore | None = None) -> Comparison:
    """The runs `refs` name (ids or unique starts), side by side; RunError for one that cannot be read."""
    store = store or RunStore()
    runs: list[Run] = []
    for ref in refs:
        run = store.find(ref)
        if run.id in (r.id for r in runs):
            raise RunError(f"run {run.id} is named twice")
        runs.append(run)
    return compare(runs)


def compare(runs: list[Run]) -> Comparison:
    """Runs side by side: the settings that differ, and each run's results."""
    lessons_and_settings = [run.lesson_and_settings() for run in runs]
    compared = []
    for run, (lesson, _) in zip(runs, lessons_and_settings):
        row, metrics = run.summary(), run.metrics()
        compared.append(
            Compared(
                run.id, lesson.number, row.status, row.epochs, row.steps, row.seconds, row.device,
                results(metrics, row.test_accuracy), (metrics.best or {}).get("epoch"), len(metrics.lr_changes),
            )
        )
    return Comparison(compared, differing_settings(lessons_and_settings))


def differing_settings(lessons_and_settings: list[tuple[Any, Any]]) -> dict[str, list[str]]:
    """Setting name to each run's value for exactly the settings whose values are not all the same.

    A lesson without a setting uses its default (lesson 14's optimizer is plain SGD); settings of
    where a run ran (device, data root) are left out.
    """
    differing: dict[str, list[str]] = {}
    if len({lesson.number for lesson, _ in lessons_and_settings}) > 1:
        differing["lesson"] = [str(lesson.number) for lesson, _ in lessons_and_settings]
    used = {name for lesson, _ in lessons_and_settings for name in lesson.fields}
    for name, spec in FIELDS.items():
        if name in NOT_COMPARED or name not in used:
            continue
        values = [spec.format(getattr(settings, name)) for _, settings in lessons_and_settings]
        if len(set(values)) > 1:
            differing[name] = values
    return differing

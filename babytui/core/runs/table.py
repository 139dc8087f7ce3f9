"""A run as a row of `babytui runs`: what it was, how it ended, and the table and CSV of them."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Iterable

from ..formatting import format_duration, printable, short_result
from ..lessons import Lesson
from ..settings import FIELDS, Settings

STATUSES = ("finished", "stopped", "crashed", "running", "unreadable")
"""What a run can be: ended by itself, stopped by the user, cut off, being written, or damaged."""


def settings_to_json(lesson: Lesson, settings: Settings) -> dict[str, Any]:
    """The lesson's settings as plain JSON values (tuples as lists)."""
    values = {}
    for name in lesson.fields:
        value = getattr(settings, name)
        values[name] = list(value) if isinstance(value, tuple) else value
    return values


NOT_COMPARED = ("device", "data_root", "trust_data")
"""Settings that say where a run ran, not what it computed: left out of the comparison."""


def changed_settings(lesson: Lesson, settings: Settings) -> dict[str, str]:
    """The settings that differ from the lesson's defaults, as the user would type them."""
    return {
        name: FIELDS[name].format(getattr(settings, name))
        for name in lesson.fields
        if name not in NOT_COMPARED and getattr(settings, name) != getattr(lesson.defaults, name)
    }


@dataclass
class RunSummary:
    """One row of `babytui runs`: what a run was and how it ended."""

    id: str
    """The run's id (its folder's name)."""
    lesson: int
    """The lesson number, 0 when unreadable."""
    changed: dict[str, str]
    """Settings that differ from the lesson's defaults."""
    settings: dict[str, Any]
    """Every setting of the run, as saved."""
    status: str
    """One of STATUSES."""
    created: float
    """When the run began (seconds since the epoch)."""
    device: str = ""
    """Where it trained."""
    dataset: str = ""
    """The image dataset, empty for lessons 1-9."""
    steps: int = 0
    """Updates done."""
    epochs: int = 0
    """Whole epochs done."""
    seconds: float = 0.0
    """Training time."""
    final_loss: float | None = None
    """The final (or last epoch's) training loss."""
    test_accuracy: float | None = None
    """The last test accuracy in percent (image lessons)."""
    resumable: bool = False
    """True when a checkpoint is there and the run did not finish."""
    problem: str = ""
    """Why the run is unreadable, or what was skipped reading it."""

    @property
    def result(self) -> str:
        """The result in a few characters: 'acc 45.2%', 'loss 0.0123' or '-'."""
        return short_result(self.test_accuracy, self.final_loss) or "-"

    def cells(self) -> tuple[str, ...]:
        """The row as the text cells of TABLE_HEADER (`babytui runs` and the app's runs screen), escaped:
        what was read from disk can neither drive the terminal nor forge a row."""
        changed = " ".join(f"{k}={v}" for k, v in self.changed.items()) or "defaults"
        cells = (
            self.id, str(self.lesson or "?"), changed, self.result,
            format_duration(self.seconds) if self.steps else "-", self.device or "-", self.date, self.status,
        )
        return tuple(printable(cell) for cell in cells)

    @property
    def date(self) -> str:
        """When it began, as 2026-11-29 11:30 (empty when unknown)."""
        try:
            return datetime.fromtimestamp(self.created).strftime("%Y-%m-%d %H:%M") if self.created else ""
        except (ValueError, OverflowError, OSError):
            return ""


TABLE_HEADER = ("id", "lesson", "settings", "result", "time", "device", "date", "status")
"""The columns of the runs table."""


CSV_COLUMNS = (
    "id", "lesson", "status", "changed", "final_loss", "test_accuracy",
    "steps", "epochs_done", "seconds", "device", "dataset", "date",
)
"""The first columns of the CSV export; every other setting follows in its own column."""


def write_csv(rows: Iterable[RunSummary], out: IO[str]) -> None:
    """The runs as CSV: one row each, the settings in columns of their own."""
    rows = list(rows)
    setting_names = [
        name for name in FIELDS if name not in CSV_COLUMNS and any(name in r.settings for r in rows)
    ]
    writer = csv.writer(out)
    writer.writerow([*CSV_COLUMNS, *setting_names])
    for r in rows:
        row = [
            r.id, r.lesson or "", r.status, " ".join(f"{k}={v}" for k, v in r.changed.items()),
            "" if r.final_loss is None else r.final_loss,
            "" if r.test_accuracy is None else r.test_accuracy,
            r.steps, r.epochs, round(r.seconds, 3), r.device, r.dataset, r.date,
            *[_csv_value(r.settings.get(name)) for name in setting_names],
        ]
        writer.writerow([printable(v) if isinstance(v, str) else v for v in row])


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return str(value)

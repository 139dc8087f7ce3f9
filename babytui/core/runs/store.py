"""The run store: one folder per run under `runs/` in babytui's home, created, listed, found and deleted.

A run folder holds:

    settings.json    the lesson and its settings, with the format and babytui versions
    metrics.jsonl    one JSON record a line, appended and flushed as events come
    checkpoint.pt    the last checkpoint (weights, optimizer, epoch, step, random states)
    lock             held by the process writing the run, so others see it running

Nothing here follows a symbolic link out of the home: a run folder that is a link is listed as
unreadable (deleting it removes the link only), and a run's files are opened without following
links. One damaged run never hides the others: it is listed as unreadable with the reason.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from pathlib import Path
from typing import Any

from .. import checkpoint as checkpoints
from ..errors import RunError
from ..lessons import Lesson, get_lesson
from ..settings import Settings
from .files import (
    CHECKPOINT_FILE, FORMAT, LOCK_FILE, MAX_SETTINGS_BYTES, METRICS_FILE, SETTINGS_FILE, TEMP_AGE, UnsafeFile,
    _babytui_version, _reason, babytui_home, new_run_id, parse_json, read_run_file, sweep_temp_files, write_atomic,
)
from .lock import RunLock, is_locked
from .metrics import Metrics, read_metrics
from .table import RunSummary, changed_settings, settings_to_json

LATEST_TIME = 2.0**35
"""Seconds since 1970 beyond which a 'created' time is damage, not a date (the year 3058)."""


class Run:
    """One saved run's folder: read its settings, metrics and checkpoint."""

    def __init__(self, path: Path, lock: RunLock | None = None) -> None:
        self.path = path
        """The run's folder."""
        self.id = path.name
        """The run's id."""
        self._held = lock

    def __repr__(self) -> str:
        return f"Run({self.id!r})"

    def link_problem(self) -> str | None:
        """Why this run's folder must not be used, None when it is a plain folder."""
        if self.path.is_symlink():
            try:
                target = os.readlink(self.path)
            except OSError:
                target = "?"
            return (
                f"run {self.id} is a symbolic link (to {target}); babytui never follows links out of its home "
                f"(`babytui runs rm {self.id}` removes the link only)"
            )
        if not self.path.is_dir():
            return f"run {self.id} is not a folder"
        return None

    def check_folder(self) -> None:
        """RunError when the run's folder is a symbolic link or not a folder."""
        problem = self.link_problem()
        if problem:
            raise RunError(problem)

    def info(self) -> dict[str, Any]:
        """The settings file as saved; RunError when missing, damaged, a link or from a newer babytui."""
        self.check_folder()
        try:
            raw = read_run_file(self.path / SETTINGS_FILE, MAX_SETTINGS_BYTES)
        except UnsafeFile as exc:
            raise RunError(f"run {self.id}: {exc}") from None
        except OSError as exc:
            raise RunError(f"cannot read run {self.id}: {_reason(exc)}") from None
        if raw is None:
            raise RunError(f"run {self.id} has no {SETTINGS_FILE}: it is not a babytui run or was cut off at its start")
        try:
            info = parse_json(raw)
        except ValueError as exc:
            reason = str(exc) if str(exc).startswith("it ") else "not JSON"
            raise RunError(f"run {self.id}: {SETTINGS_FILE} is damaged ({reason})") from None
        if not isinstance(info, dict):
            raise RunError(f"run {self.id}: {SETTINGS_FILE} is damaged (not a JSON object)")
        version = info.get("format")
        if type(version) is not int or version < 1:
            raise RunError(f"run {self.id}: {SETTINGS_FILE} has no format version: not a babytui run")
        if version > FORMAT:
            raise RunError(
                f"run {self.id} was saved by a newer babytui ({info.get('babytui', '?')}, format {version}); "
                f"this is babytui {_babytui_version()}: upgrade to read it"
            )
        for name, ok in (
            ("lesson", type(info.get("lesson")) is int),
            ("settings", isinstance(info.get("settings", {}), dict)),
            ("created", type(info.get("created", 0)) in (int, float) and 0 <= info.get("created", 0) < LATEST_TIME),
        ):
            if not ok:
                raise RunError(f"run {self.id}: {SETTINGS_FILE} is damaged (its {name} is {str(info.get(name))[:40]!r})")
        return info

    def lesson_and_settings(self) -> tuple[Lesson, Settings]:
        """The run's lesson and its settings, checked as if typed again."""
        info = self.info()
        try:
            lesson = get_lesson(info["lesson"])
            settings = lesson.settings(info.get("settings") or {})
        except Exception as exc:  # a SettingsError, or a value of a kind no form would give
            raise RunError(f"run {self.id}: its settings cannot be used: {exc}") from None
        return lesson, settings

    def metrics(self, losses: bool = True) -> Metrics:
        """The metrics file read back (a torn last line or a damaged one is skipped and noted);
        `losses` False leaves every step's loss unread (fast: see `read_metrics`)."""
        problem = self.link_problem()
        if problem:
            return Metrics(problems=[problem])
        return read_metrics(self.path / METRICS_FILE, losses)

    def has_checkpoint(self) -> bool:
        """True when something is at the checkpoint's name (whether it loads is `checkpoint()`'s to say)."""
        return os.path.lexists(self.path / CHECKPOINT_FILE)

    def checkpoint(self, lesson: Lesson | None = None) -> dict[str, Any]:
        """The last checkpoint, loaded with weights_only and checked; RunError when missing, damaged or foreign."""
        self.check_folder()
        state = checkpoints.load(self.path / CHECKPOINT_FILE, self.id)
        if lesson is not None:
            checkpoints.check_lesson(state, lesson, self.id)
        return state

    def is_running(self) -> bool:
        """True while a process (this one included) holds the run's lock; tested without taking it."""
        return self.link_problem() is None and is_locked(self.path / LOCK_FILE)

    def summary(self) -> RunSummary:
        """The run as a table row; a damaged run gives status 'unreadable' and its problem, never an exception."""
        created = _created(self.id, self.path)
        try:
            lesson, settings = self.lesson_and_settings()
        except RunError as exc:
            return RunSummary(self.id, 0, {}, {}, "unreadable", created, problem=str(exc))
        try:
            return self._summary(lesson, settings)
        except Exception as exc:  # noqa: BLE001  (one run must never hide the others)
            return RunSummary(self.id, lesson.number, {}, {}, "unreadable", created, problem=f"run {self.id}: a saved value is damaged ({type(exc).__name__}: {exc})")

    def _summary(self, lesson: Lesson, settings: Settings) -> RunSummary:
        info = self.info()
        metrics = self.metrics()
        final, start = metrics.final, metrics.start or {}
        problems = ([f"failed: {metrics.error}"] if metrics.error else []) + metrics.problems
        row = RunSummary(
            self.id, lesson.number, changed_settings(lesson, settings), dict(info.get("settings") or {}), "crashed",
            float(info.get("created", _created(self.id, self.path))),
            device=str(start.get("device", "")), dataset=str(start.get("dataset", "")),
        )
        if metrics.epochs:
            last = metrics.epochs[-1]
            row.final_loss, row.test_accuracy = last.get("train_loss"), last.get("test_accuracy")
            row.steps = last.get("step", 0)
        row.seconds = metrics.elapsed
        if metrics.losses:
            row.steps = max(row.steps, metrics.losses[-1][0])
            if row.final_loss is None:
                row.final_loss = metrics.losses[-1][1]
        if final is not None:
            row.status = "stopped" if final.get("stopped") else "finished"
            row.steps = final.get("steps", row.steps)
            row.epochs = final.get("epochs", 0)
            row.seconds = float(final.get("seconds", row.seconds))
            row.final_loss = final.get("final_loss", row.final_loss)
            row.test_accuracy = final.get("test_accuracy", row.test_accuracy)
        if self.is_running():
            row.status = "running"
        if lesson.is_image and row.status != "running":
            saved = metrics.checkpoint_step if self.has_checkpoint() else None
            if metrics.unsaved or (final is not None and saved != row.steps):
                where = f"from step {saved:,}" if saved is not None else "missing"
                problems.append(f"its checkpoint is {where}, not of step {row.steps:,}" + (f": {metrics.unsaved}" if metrics.unsaved else ""))
        row.resumable = lesson.is_image and row.status in ("stopped", "crashed")
        row.problem = "; ".join(problems)
        return row

    def write_lock(self) -> RunLock:
        """Take the run's lock for writing; RunError when another process writes it now or it cannot be written."""
        if self._held is not None:  # taken when the run was created: handed on once
            lock, self._held = self._held, None
            return lock
        self.check_folder()
        try:
            return RunLock(self.path / LOCK_FILE)
        except BlockingIOError:
            raise RunError(f"run {self.id} is being written by another babytui right now; wait for it or stop it") from None
        except OSError as exc:
            raise RunError(f"cannot write run {self.id}: {_reason(exc)}") from None


def _created(run_id: str, path: Path) -> float:
    """When a run began: from its id, else its folder's time."""
    try:
        return time.mktime(time.strptime(run_id[:15], "%Y%m%d-%H%M%S"))
    except (ValueError, OverflowError):
        try:
            return path.lstat().st_mtime
        except OSError:
            return 0.0


class RunStore:
    """The folder of saved runs: create, list, find, delete."""

    def __init__(self, home: str | Path | None = None) -> None:
        self.root = Path(home).expanduser() / "runs" if home is not None else babytui_home() / "runs"
        """The folder holding one sub-folder per run."""

    def create(self, lesson: Lesson, settings: Settings) -> Run:
        """A new run folder with its settings saved and its lock held; RunError when it cannot be written.

        The folder is made under a hidden name and renamed into place: a run appears whole or not at all.
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunError(f"cannot save runs in {self.root}: {_reason(exc)}") from None
        self.sweep()
        for _ in range(20):
            run_id = new_run_id(lesson.number)
            making = self.root / f".new-{run_id}"
            try:
                making.mkdir()  # never share a folder with another process
            except FileExistsError:
                continue
            except OSError as exc:
                raise RunError(f"cannot save runs in {self.root}: {_reason(exc)}") from None
            if os.path.lexists(self.root / run_id):
                making.rmdir()
                continue
            break
        else:
            raise RunError(f"cannot find a free run id in {self.root}")
        info = {
            "format": FORMAT, "babytui": _babytui_version(), "id": run_id, "lesson": lesson.number,
            "title": lesson.title, "created": time.time(), "settings": settings_to_json(lesson, settings),
        }
        lock = None
        try:
            write_atomic(making / SETTINGS_FILE, (json.dumps(info, indent=2) + "\n").encode())
            lock = RunLock(making / LOCK_FILE)
            os.rename(making, self.root / run_id)  # the lock stays held through the rename
        except OSError as exc:
            if lock is not None:
                lock.release()
            shutil.rmtree(making, ignore_errors=True)
            raise RunError(f"cannot save run {run_id}: {_reason(exc)}") from None
        return Run(self.root / run_id, lock)

    def runs(self) -> list[Run]:
        """Every run folder (and link in the place of one), oldest first."""
        try:
            entries = sorted(
                Path(e.path) for e in os.scandir(self.root)
                if not e.name.startswith(".") and (e.is_symlink() or e.is_dir(follow_symlinks=False))
            )
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise RunError(f"cannot read {self.root}: {_reason(exc)}") from None
        return [Run(p) for p in entries]

    def summaries(self) -> list[RunSummary]:
        """A row for every run, oldest first; damaged ones say why instead of failing the list."""
        self.sweep()
        return sorted((run.summary() for run in self.runs()), key=lambda row: (row.created if math.isfinite(row.created) else 0.0, row.id))

    def find(self, ref: str) -> Run:
        """The run with this id or unique id prefix; RunError naming the choices otherwise."""
        ref = ref.strip().rstrip("/")
        if not ref or "/" in ref or ref.startswith("."):
            raise RunError(f"{ref!r} is not a run id (see `babytui runs`)")
        runs = self.runs()
        exact = [r for r in runs if r.id == ref]
        if exact:
            return exact[0]
        matches = [r for r in runs if r.id.startswith(ref)]
        if not matches:
            raise RunError(f"there is no run {ref!r} in {self.root} (see `babytui runs`)")
        if len(matches) > 1:
            shown = ", ".join(r.id for r in matches[:4]) + (", ..." if len(matches) > 4 else "")
            raise RunError(f"{ref!r} matches {len(matches)} runs ({shown}): give more of the id")
        return matches[0]

    def delete(self, run: Run) -> str:
        """Remove a run, whatever its state of damage; RunError while another process writes it.

        A run that is a symbolic link loses the link only, never what it points to. Returns what
        was deleted, in words.
        """
        if run.path.is_symlink():
            try:
                target = os.readlink(run.path)
                run.path.unlink()
            except OSError as exc:
                raise RunError(f"cannot delete run {run.id}: {_reason(exc)}") from None
            return f"the link {run.id} (what it points to, {target}, is left alone)"
        try:
            lock: RunLock | None = run.write_lock()  # held through the rename: no resume can start writing meanwhile
        except RunError:
            if run.is_running():
                raise
            lock = None  # the lock file cannot be opened (a link, a folder): nobody writes through it
        try:
            os.replace(run.path, run.path.with_name(f".deleting-{run.id}"))  # one rename: listed whole or gone
        except OSError as exc:
            raise RunError(f"cannot delete run {run.id}: {_reason(exc)}") from None
        finally:
            if lock is not None:
                lock.release()
        self.sweep()
        return f"run {run.id}"

    def sweep(self) -> None:
        """Remove what killed processes left: deletes half done, runs half created, temporary files of writes."""
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            return
        now = time.time()
        for entry in entries:
            try:
                if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
                    continue
                if entry.name.startswith(".deleting-"):
                    shutil.rmtree(entry.path, ignore_errors=True)
                elif entry.name.startswith(".new-"):
                    if now - entry.stat(follow_symlinks=False).st_mtime > TEMP_AGE and not is_locked(Path(entry.path) / LOCK_FILE):
                        shutil.rmtree(entry.path, ignore_errors=True)
                elif not entry.name.startswith("."):
                    sweep_temp_files(Path(entry.path))
            except OSError:
                continue

    def resumable(self, ref: str) -> tuple[Run, Lesson, Settings]:
        """The run to resume, its lesson and settings, checked without reading its checkpoint (no torch)."""
        run = self.find(ref)
        run.check_folder()
        lesson, settings = run.lesson_and_settings()
        if not lesson.is_image:
            raise RunError(f"run {run.id} is lesson {lesson.number}, which runs in moments: nothing to resume, run it again")
        if run.is_running():
            raise RunError(f"run {run.id} is running right now; it cannot be resumed twice")
        metrics = run.metrics()
        if metrics.final is not None and not metrics.final.get("stopped"):
            raise RunError(f"run {run.id} finished: there is nothing left to resume")
        return run, lesson, settings

    def resume_info(self, ref: str) -> tuple[Run, Lesson, Settings, dict[str, Any] | None]:
        """What resuming a run needs: the run, its lesson and settings and its last checkpoint (None: from the start)."""
        run, lesson, settings = self.resumable(ref)
        return run, lesson, settings, run.checkpoint(lesson) if run.has_checkpoint() else None

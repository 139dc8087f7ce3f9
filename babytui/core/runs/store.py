"""The run store: one folder per run under `runs/` in babytui's home, created, listed, found and deleted.

A run folder holds:

    settings.json    the lesson and its settings, with the format and babytui versions
    metrics.jsonl    one JSON record a line, appended and flushed as events come
    checkpoint.pt    the last checkpoint (weights, optimizer, epoch, step, random states)
    lock             held (flock) by the process writing the run, so others see it running
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from .. import checkpoint as checkpoints
from ..errors import BabytuiError, RunError
from ..lessons import Lesson, get_lesson
from ..settings import Settings
from .files import CHECKPOINT_FILE, FORMAT, LOCK_FILE, METRICS_FILE, SETTINGS_FILE, _babytui_version, _reason, babytui_home, new_run_id, write_atomic
from .metrics import Metrics, read_metrics
from .table import RunSummary, changed_settings, settings_to_json

try:
    import fcntl
except ImportError:  # not POSIX: runs are saved the same, only "running" cannot be told
    fcntl = None  # type: ignore[assignment]


class Run:
    """One saved run's folder: read its settings, metrics and checkpoint."""

    def __init__(self, path: Path) -> None:
        self.path = path
        """The run's folder."""
        self.id = path.name
        """The run's id."""

    def __repr__(self) -> str:
        return f"Run({self.id!r})"

    def info(self) -> dict[str, Any]:
        """The settings file as saved; RunError when missing, damaged or from a newer babytui."""
        path = self.path / SETTINGS_FILE
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RunError(f"run {self.id} has no {SETTINGS_FILE}: it is not a babytui run or was cut off at its start") from None
        except OSError as exc:
            raise RunError(f"cannot read run {self.id}: {_reason(exc)}") from None
        except ValueError:
            raise RunError(f"run {self.id}: {SETTINGS_FILE} is damaged (not JSON)") from None
        if not isinstance(info, dict):
            raise RunError(f"run {self.id}: {SETTINGS_FILE} is damaged (not a JSON object)")
        version = info.get("format")
        if not isinstance(version, int) or version < 1:
            raise RunError(f"run {self.id}: {SETTINGS_FILE} has no format version: not a babytui run")
        if version > FORMAT:
            raise RunError(
                f"run {self.id} was saved by a newer babytui ({info.get('babytui', '?')}, format {version}); "
                f"this is babytui {_babytui_version()}: upgrade to read it"
            )
        return info

    def lesson_and_settings(self) -> tuple[Lesson, Settings]:
        """The run's lesson and its settings, checked as if typed again."""
        info = self.info()
        try:
            lesson = get_lesson(int(info["lesson"]))
            settings = lesson.settings(info.get("settings") or {})
        except (KeyError, TypeError, ValueError, BabytuiError) as exc:
            raise RunError(f"run {self.id}: its settings cannot be used: {exc}") from None
        return lesson, settings

    def metrics(self) -> Metrics:
        """The metrics file read back (a torn last line is skipped and noted)."""
        return read_metrics(self.path / METRICS_FILE)

    def has_checkpoint(self) -> bool:
        """True when a checkpoint file is there."""
        return (self.path / CHECKPOINT_FILE).is_file()

    def checkpoint(self, lesson: Lesson | None = None) -> dict[str, Any]:
        """The last checkpoint, loaded with weights_only; RunError when missing, damaged or foreign."""
        state = checkpoints.load(self.path / CHECKPOINT_FILE, self.id)
        if lesson is not None:
            checkpoints.check_lesson(state, lesson, self.id)
        return state

    def is_running(self) -> bool:
        """True while another process (or this one) holds the run's lock."""
        lock = self.path / LOCK_FILE
        if fcntl is None or not lock.exists():
            return False
        try:
            fd = os.open(lock, os.O_RDONLY)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(fd)  # closing releases a lock taken here
        return False

    def summary(self) -> RunSummary:
        """The run as a table row; a damaged run gives status 'unreadable' and its problem."""
        created = _created(self.id, self.path)
        try:
            lesson, settings = self.lesson_and_settings()
        except RunError as exc:
            return RunSummary(self.id, 0, {}, {}, "unreadable", created, problem=str(exc))
        try:
            return self._summary(lesson, settings, created)
        except (TypeError, ValueError, AttributeError) as exc:  # valid JSON holding a wrong value
            return RunSummary(self.id, lesson.number, {}, {}, "unreadable", created, problem=f"a saved value is damaged ({exc})")

    def _summary(self, lesson: Lesson, settings: Settings, created: float) -> RunSummary:
        info = self.info()
        metrics = self.metrics()
        final, start = metrics.final, metrics.start or {}
        row = RunSummary(
            self.id,
            lesson.number,
            changed_settings(lesson, settings),
            dict(info.get("settings") or {}),
            "crashed",
            float(info.get("created", created)),
            device=str(start.get("device", "")),
            dataset=str(start.get("dataset", "")),
            problem="; ".join(([f"failed: {metrics.error}"] if metrics.error else []) + metrics.problems),
        )
        if metrics.epochs:
            last = metrics.epochs[-1]
            row.final_loss, row.test_accuracy = last.get("train_loss"), last.get("test_accuracy")
            row.steps = int(last.get("step", 0))
        row.seconds = metrics.elapsed
        if metrics.losses:
            row.steps = max(row.steps, metrics.losses[-1][0])
            if row.final_loss is None:
                row.final_loss = metrics.losses[-1][1]
        if final is not None:
            row.status = "stopped" if final.get("stopped") else "finished"
            row.steps = int(final.get("steps", row.steps))
            row.epochs = int(final.get("epochs", 0))
            row.seconds = float(final.get("seconds", row.seconds))
            row.final_loss = final.get("final_loss", row.final_loss)
            row.test_accuracy = final.get("test_accuracy", row.test_accuracy)
        if self.is_running():
            row.status = "running"
        row.resumable = lesson.is_image and row.status in ("stopped", "crashed") and self.has_checkpoint()
        return row

    def write_lock(self) -> "_Lock":
        """Take the run's lock for writing; RunError when another process writes it now."""
        return _Lock(self)


def _created(run_id: str, path: Path) -> float:
    """When a run began: from its id, else its folder's time."""
    try:
        return time.mktime(time.strptime(run_id[:15], "%Y%m%d-%H%M%S"))
    except ValueError:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0


class _Lock:
    """An exclusive flock on a run's lock file, held while a process writes the run."""

    def __init__(self, run: Run) -> None:
        self.fd: int | None = None
        """The open lock file, None once released (or where flock does not exist)."""
        if fcntl is None:
            return
        try:
            self.fd = os.open(run.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise RunError(f"cannot write run {run.id}: {_reason(exc)}") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self.fd)
            self.fd = None
            raise RunError(f"run {run.id} is being written by another babytui right now; wait for it or stop it") from None

    def release(self) -> None:
        """Let go of the lock."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class RunStore:
    """The folder of saved runs: create, list, find, delete, export."""

    def __init__(self, home: str | Path | None = None) -> None:
        self.root = Path(home).expanduser() / "runs" if home is not None else babytui_home() / "runs"
        """The folder holding one sub-folder per run."""

    def create(self, lesson: Lesson, settings: Settings) -> Run:
        """A new run folder with its settings saved; RunError when the folder cannot be written."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunError(f"cannot save runs in {self.root}: {_reason(exc)}") from None
        for _ in range(20):
            run_id = new_run_id(lesson.number)
            try:
                (self.root / run_id).mkdir(exist_ok=False)  # never share a folder with another process
                break
            except FileExistsError:
                continue
            except OSError as exc:
                raise RunError(f"cannot save runs in {self.root}: {_reason(exc)}") from None
        else:
            raise RunError(f"cannot find a free run id in {self.root}")
        run = Run(self.root / run_id)
        info = {
            "format": FORMAT,
            "babytui": _babytui_version(),
            "id": run_id,
            "lesson": lesson.number,
            "title": lesson.title,
            "created": time.time(),
            "settings": settings_to_json(lesson, settings),
        }
        try:
            write_atomic(run.path / SETTINGS_FILE, (json.dumps(info, indent=2) + "\n").encode())
        except OSError as exc:
            shutil.rmtree(run.path, ignore_errors=True)
            raise RunError(f"cannot save run {run_id}: {_reason(exc)}") from None
        return run

    def runs(self) -> list[Run]:
        """Every run folder, oldest first."""
        try:
            entries = sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise RunError(f"cannot read {self.root}: {_reason(exc)}") from None
        return [Run(p) for p in entries]

    def summaries(self) -> list[RunSummary]:
        """A row for every run, oldest first; damaged ones say why instead of failing the list."""
        return sorted((run.summary() for run in self.runs()), key=lambda row: (row.created, row.id))

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

    def delete(self, run: Run) -> None:
        """Remove a run's folder; RunError while another process writes it or when it cannot be removed."""
        lock = run.write_lock()  # held through the rename, so no resume can start writing meanwhile
        try:
            os.replace(run.path, run.path.with_name(f".deleting-{run.id}"))  # one rename: listed whole or gone
        except OSError as exc:
            raise RunError(f"cannot delete run {run.id}: {_reason(exc)}") from None
        finally:
            lock.release()
        for doomed in self.root.glob(".deleting-*"):  # this one, and any a killed delete left behind
            shutil.rmtree(doomed, ignore_errors=True)

    def resumable(self, ref: str) -> tuple[Run, Lesson, Settings]:
        """The run to resume, its lesson and settings, checked without reading its checkpoint (no torch)."""
        run = self.find(ref)
        lesson, settings = run.lesson_and_settings()
        if not lesson.is_image:
            raise RunError(f"run {run.id} is lesson {lesson.number}, which runs in moments: nothing to resume, run it again")
        if run.is_running():
            raise RunError(f"run {run.id} is running right now; it cannot be resumed twice")
        metrics = run.metrics()
        if metrics.final is not None and not metrics.final.get("stopped"):
            raise RunError(f"run {run.id} finished: there is nothing left to resume")
        return run, lesson, settings

    def resume_info(self, ref: str) -> tuple[Run, Lesson, Settings, dict[str, Any]]:
        """What resuming a run needs: the run, its lesson and settings and its last checkpoint."""
        run, lesson, settings = self.resumable(ref)
        return run, lesson, settings, run.checkpoint(lesson)

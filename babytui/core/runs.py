"""Saving, resuming and comparing runs: every run's settings, metrics and last checkpoint on disk.

A run is a folder under `runs/` in the user's data directory ($BABYTUI_HOME overrides):

    settings.json    the lesson and its settings, with the format and babytui versions
    metrics.jsonl    one JSON record a line, appended and flushed as events come
    checkpoint.pt    the last checkpoint (weights, optimizer, epoch, step, random states)
    lock             held (flock) by the process writing the run, so others see it running

Every whole file is written to a temporary name in the same folder, synced and renamed, so a
crash at any moment leaves the previous one whole. Knows nothing of the interface.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import secrets
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Iterable

from .errors import BabytuiError, RunError
from .events import short_result
from .lessons import Lesson, get_lesson
from .settings import FIELDS, Settings

try:
    import fcntl
except ImportError:  # not POSIX: runs are saved the same, only "running" cannot be told
    fcntl = None  # type: ignore[assignment]

FORMAT = 1
"""Version of the files a run folder holds; a newer one is refused with a message."""
SETTINGS_FILE = "settings.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_FILE = "checkpoint.pt"
LOCK_FILE = "lock"
STATUSES = ("finished", "stopped", "crashed", "running", "unreadable")
"""What a run can be: ended by itself, stopped by the user, cut off, being written, or damaged."""


def babytui_home() -> Path:
    """babytui's data folder: $BABYTUI_HOME, else the user's data directory."""
    env = os.environ.get("BABYTUI_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("babytui"))


def _babytui_version() -> str:
    from .. import __version__

    return __version__


def _reason(exc: OSError) -> str:
    """An OSError in a few words: 'No space left on device'."""
    return exc.strerror or str(exc)


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, sync it and rename it over `path`."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(3)}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (where the system allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def new_run_id(lesson: int, now: float | None = None) -> str:
    """A sortable, unique id: 20261129-113000-l14-3f9a (time, lesson, 4 random hex digits)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now if now is not None else time.time()))
    return f"{stamp}-l{lesson:02d}-{secrets.token_hex(2)}"


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
class Metrics:
    """A run's metrics file read back: what the table and the loss plot need."""

    losses: list[tuple[int, float]] = field(default_factory=list)
    """(step, training loss) of every update logged, a resumed part replacing what it redid."""
    epochs: list[dict[str, Any]] = field(default_factory=list)
    """One record per epoch ended (train_loss, test_loss, test_accuracy...)."""
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
            elif kind == "steps":
                last_step = int(record.get("step", 0))
                values = record.get("losses") or []
                first = last_step - len(values) + 1
                losses = [(first + i, float(v)) for i, v in enumerate(values)]  # all or nothing of a line
                elapsed = float(record.get("elapsed", metrics.elapsed))
                metrics.losses.extend(losses)
                metrics.elapsed = elapsed
            elif kind == "epoch":
                metrics.epochs.append(record)
            elif kind == "checkpoint":
                metrics.checkpoint_step = record.get("step")
            elif kind == "final":
                metrics.final = record
            elif kind == "error":
                metrics.error = str(record.get("message", ""))
        except (TypeError, ValueError, AttributeError):  # valid JSON with a wrong value in it
            metrics.problems.append(f"{path.name}: line {number} has a value of the wrong kind; it is skipped")
    return metrics


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
        """The row as the text cells of TABLE_HEADER (`babytui runs` and the app's runs screen)."""
        changed = " ".join(f"{k}={v}" for k, v in self.changed.items()) or "defaults"
        return (
            self.id, str(self.lesson or "?"), changed, self.result,
            format_duration(self.seconds) if self.steps else "-", self.device or "-", self.date, self.status,
        )

    @property
    def date(self) -> str:
        """When it began, as 2026-11-29 11:30."""
        return datetime.fromtimestamp(self.created).strftime("%Y-%m-%d %H:%M") if self.created else ""


TABLE_HEADER = ("id", "lesson", "settings", "result", "time", "device", "date", "status")
"""The columns of the runs table."""


def format_duration(seconds: float) -> str:
    """Seconds as 1h02m, 3m05s or 12s."""
    seconds = max(0, int(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


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
        import torch

        path = self.path / CHECKPOINT_FILE
        if not path.is_file():
            raise RunError(f"run {self.id} has no checkpoint: it stopped before its first one was saved")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # a truncated zip, a pickle refused by weights_only, an unreadable file
            reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
            raise RunError(f"run {self.id}: {CHECKPOINT_FILE} is damaged and cannot be loaded ({reason})") from None
        if not isinstance(state, dict) or "model" not in state or "step" not in state:
            raise RunError(f"run {self.id}: {CHECKPOINT_FILE} is not a babytui checkpoint")
        if lesson is not None and state.get("lesson") != lesson.number:
            raise RunError(
                f"run {self.id}: its checkpoint is from lesson {state.get('lesson')}, but the run is lesson {lesson.number}"
            )
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

    def resume_info(self, ref: str) -> tuple[Run, Lesson, Settings, dict[str, Any]]:
        """What resuming a run needs: the run, its lesson and settings and its last checkpoint."""
        run = self.find(ref)
        lesson, settings = run.lesson_and_settings()
        if not lesson.is_image:
            raise RunError(f"run {run.id} is lesson {lesson.number}, which runs in moments: nothing to resume, run it again")
        if run.is_running():
            raise RunError(f"run {run.id} is running right now; it cannot be resumed twice")
        metrics = run.metrics()
        if metrics.final is not None and not metrics.final.get("stopped"):
            raise RunError(f"run {run.id} finished: there is nothing left to resume")
        state = run.checkpoint(lesson)
        return run, lesson, settings, state


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
        writer.writerow(
            [
                r.id, r.lesson or "", r.status, " ".join(f"{k}={v}" for k, v in r.changed.items()),
                "" if r.final_loss is None else r.final_loss,
                "" if r.test_accuracy is None else r.test_accuracy,
                r.steps, r.epochs, round(r.seconds, 3), r.device, r.dataset, r.date,
                *[_csv_value(r.settings.get(name)) for name in setting_names],
            ]
        )


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return str(value)


def _plain(value: Any) -> Any:
    """A JSON-ready number: NaN and infinity become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Recorder:
    """Writes one run's events to its folder, as the consumer of `train()` sees them.

    Call it with each event; it returns a warning (once) when saving fails, and training goes
    on: a full disk never ends a run. Close it when the run is over.
    """

    def __init__(self, run: Run, *, resumed_from: int | None = None) -> None:
        self.run = run
        """The run written."""
        self.resumed_from = resumed_from
        """The step the run goes on from, None for a new run."""
        self.warned = False
        """True once a saving problem was reported."""
        self.saved_step: int | None = None
        """Step of the last checkpoint written."""
        self._lock = run.write_lock()
        self._metrics: IO[str] | None = None

    @classmethod
    def new(cls, lesson: Lesson, settings: Settings, store: RunStore | None = None) -> "Recorder":
        """A recorder for a new run; RunError when the run cannot even be created."""
        return cls((store or RunStore()).create(lesson, settings))

    def __call__(self, event: Any) -> str | None:
        """Save what this event says; a warning the first time saving fails, else None."""
        try:
            self._record(event)
        except OSError as exc:
            return self._warn(f"run {self.run.id} is not being saved: {_reason(exc)}")
        except Exception as exc:  # a bug in saving must not end the training either
            return self._warn(f"run {self.run.id} is not being saved: {type(exc).__name__}: {exc}")
        return None

    def _warn(self, message: str) -> str | None:
        if self.warned:
            return None
        self.warned = True
        return message

    def _record(self, event: Any) -> None:
        name = type(event).__name__
        if name == "StepLogged":
            self._append(
                {
                    "type": "steps", "epoch": event.epoch, "step": event.step,
                    "elapsed": round(event.elapsed, 3), "losses": list(event.losses),
                }
            )
        elif name == "EpochEnded":
            self._append(
                {
                    "type": "epoch", "epoch": event.epoch, "step": event.step,
                    "train_loss": _plain(event.train_loss), "test_loss": _plain(event.test_loss),
                    "test_accuracy": _plain(event.test_accuracy), "seconds": round(event.seconds, 3),
                }
            )
        elif name == "Checkpoint":
            self.save_checkpoint(event.state)
            self._append({"type": "checkpoint", "epoch": event.epoch, "step": event.step, "reason": event.reason})
        elif name == "RunStarted":
            record = {
                "type": "start", "time": time.time(), "device": event.device, "dataset": event.dataset,
                "epochs": event.epochs, "steps_per_epoch": event.steps_per_epoch, "total_steps": event.total_steps,
                "parameters": event.parameters, "babytui": _babytui_version(),
            }
            if self.resumed_from is not None:
                record["resumed_from"] = self.resumed_from
            self._append(record)
        elif name == "Finished":
            summary = event.summary()
            summary.pop("lesson", None)
            self._append({"type": "final", "time": time.time(), **{k: _plain(v) for k, v in summary.items()}})

    def error(self, message: str) -> None:
        """Note why training failed (a diverged loss, a missing dataset); never raises."""
        try:
            self._append({"type": "error", "time": time.time(), "message": message})
        except OSError:
            pass

    def save_checkpoint(self, state: dict[str, Any]) -> None:
        """Write the checkpoint under a temporary name and rename it over the last one."""
        import torch

        buffer = io.BytesIO()
        torch.save(state, buffer)
        write_atomic(self.run.path / CHECKPOINT_FILE, buffer.getvalue())
        self.saved_step = state.get("step")

    def _append(self, record: dict[str, Any]) -> None:
        """One line on the metrics file, flushed so that a killed process keeps it."""
        if self._metrics is None:
            path = self.run.path / METRICS_FILE
            torn = False
            if path.exists() and path.stat().st_size:
                with open(path, "rb") as f:
                    f.seek(-1, os.SEEK_END)
                    torn = f.read(1) != b"\n"
            self._metrics = open(path, "a", encoding="utf-8")
            if torn:  # a line cut off by a crash: start a fresh one after it
                self._metrics.write("\n")
        self._metrics.write(json.dumps(record) + "\n")
        self._metrics.flush()

    def close(self) -> None:
        """Sync and close the metrics file and let go of the run."""
        if self._metrics is not None:
            try:
                self._metrics.flush()
                os.fsync(self._metrics.fileno())
            except OSError:
                pass
            try:
                self._metrics.close()
            except OSError:
                pass
            self._metrics = None
        self._lock.release()


def start_recording(
    lesson: Lesson, settings: Settings, resume: tuple[Run, dict[str, Any]] | None = None
) -> tuple[Recorder | None, str | None]:
    """A Recorder for a new run, or (None, why) when it cannot be saved: training goes on without.

    For `resume` = (run, checkpoint) a RunError is raised instead: a resumed run must be saved.
    """
    if resume is not None:
        run, state = resume
        return Recorder(run, resumed_from=int(state["step"])), None
    try:
        return Recorder.new(lesson, settings), None
    except BabytuiError as exc:
        return None, f"{exc}; training goes on without saving"

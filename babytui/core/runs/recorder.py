"""Writing a run as it goes: its metrics line by line, its checkpoints whole, under its lock."""

from __future__ import annotations

import io
import json
import math
import os
import time
from typing import IO, Any

from ..errors import BabytuiError, RunError
from ..events import BestRestored, Checkpoint, EpochEnded, Event, Finished, LrChanged, RunStarted, StepLogged
from ..lessons import Lesson
from ..settings import Settings
from .files import CHECKPOINT_FILE, METRICS_FILE, _babytui_version, _reason, open_for_append, sweep_temp_files, write_atomic
from .store import Run, RunStore


def _plain(value: Any) -> Any:
    """A JSON-ready number: NaN and infinity become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Recorder:
    """Writes one run's events to its folder, as the consumer of `train()` sees them.

    Call it with each event; it returns a warning (once) when saving fails, and training goes
    on: a full disk never ends a run. Close it when the run is over. It writes only inside the
    run's folder, never through a symbolic link.
    """

    def __init__(self, run: Run, *, resumed_from: int | None = None, data: dict[str, Any] | None = None) -> None:
        self.run = run
        """The run written."""
        self.resumed_from = resumed_from
        """The step the run goes on from, None for a new run."""
        self.data = data
        """What the run trains on (ImageData.identity()), written in its start record."""
        self.warned = False
        """True once a saving problem was reported."""
        self.problem = ""
        """What could not be saved, once something could not: the run on disk is not the whole run."""
        self.saved_step: int | None = None
        """Step of the last checkpoint written."""
        self._lock = run.write_lock()
        sweep_temp_files(run.path, max_age=0.0)  # ours now: any temporary file here is a killed write's
        self._metrics: IO[str] | None = None
        try:
            self._open_metrics()  # now: a metrics file that is a link ends this here, before any training
        except OSError as exc:
            self._lock.release()
            raise RunError(f"cannot write run {run.id}: {_reason(exc)}") from None

    @classmethod
    def new(cls, lesson: Lesson, settings: Settings, store: RunStore | None = None, *, data: dict[str, Any] | None = None) -> "Recorder":
        """A recorder for a new run; RunError when the run cannot even be created."""
        return cls((store or RunStore()).create(lesson, settings), data=data)

    def __call__(self, event: Event) -> str | None:
        """Save what this event says; a warning the first time saving fails, else None."""
        try:
            self._record(event)
        except OSError as exc:
            return self._warn(event, _reason(exc))
        except Exception as exc:  # a bug in saving must not end the training either
            return self._warn(event, f"{type(exc).__name__}: {exc}")
        return None

    def _warn(self, event: Event, reason: str) -> str | None:
        """Note what was not saved (in the metrics, if they can still be written); the warning, once."""
        self.problem = self.problem or reason
        if isinstance(event, Checkpoint):
            try:
                self._append({"type": "unsaved", "epoch": event.epoch, "step": event.step, "reason": reason})
            except Exception:  # noqa: BLE001  (the disk is full: nothing more to say on it)
                pass
        if self.warned:
            return None
        self.warned = True
        return f"run {self.run.id} is not being saved: {reason}"

    def _record(self, event: Event) -> None:
        if isinstance(event, StepLogged):
            self._append(
                {
                    "type": "steps", "epoch": event.epoch, "step": event.step,
                    "elapsed": round(event.elapsed, 3), "losses": list(event.losses),
                    **({} if event.lr is None else {"lr": event.lr}),
                }
            )
        elif isinstance(event, EpochEnded):
            self._append(
                {
                    "type": "epoch", "epoch": event.epoch, "step": event.step,
                    "train_loss": _plain(event.train_loss), "test_loss": _plain(event.test_loss),
                    "test_accuracy": _plain(event.test_accuracy), "seconds": round(event.seconds, 3),
                    **({} if event.val_loss is None else {"val_loss": _plain(event.val_loss), "val_accuracy": _plain(event.val_accuracy)}),
                }
            )
        elif isinstance(event, LrChanged):
            self._append({"type": "lr", "step": event.step, "lr": event.lr, "previous": event.previous, "current": event.current})
        elif isinstance(event, BestRestored):
            self._append(
                {
                    "type": "best", "epoch": event.epoch, "step": event.step, "val_accuracy": _plain(event.val_accuracy),
                    "test_loss": _plain(event.test_loss), "test_accuracy": _plain(event.test_accuracy),
                    "last_test_accuracy": _plain(event.last_test_accuracy),
                }
            )
        elif isinstance(event, Checkpoint):
            self.save_checkpoint(event.state)
            self._append({"type": "checkpoint", "epoch": event.epoch, "step": event.step, "reason": event.reason})
        elif isinstance(event, RunStarted):
            record = {
                "type": "start", "time": time.time(), "device": event.device, "dataset": event.dataset,
                "classes": list(event.classes),
                "epochs": event.epochs, "steps_per_epoch": event.steps_per_epoch, "total_steps": event.total_steps,
                "parameters": event.parameters, "babytui": _babytui_version(),
            }
            if self.resumed_from is not None:
                record["resumed_from"] = self.resumed_from
            if self.data is not None:
                record["data"] = self.data
            self._append(record)
        elif isinstance(event, Finished):
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
        metrics = self._metrics if self._metrics is not None else self._open_metrics()
        metrics.write(json.dumps(record) + "\n")
        metrics.flush()

    def _open_metrics(self) -> IO[str]:
        """The metrics file, opened to append (never through a link), after a line a crash cut off."""
        metrics = open_for_append(self.run.path / METRICS_FILE)
        try:
            size = os.fstat(metrics.fileno()).st_size
            if size and os.pread(metrics.fileno(), 1, size - 1) != b"\n":  # a line cut off by a crash
                metrics.write("\n")  # start a fresh one after it
        except BaseException:
            metrics.close()
            raise
        self._metrics = metrics
        return metrics

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
    lesson: Lesson, settings: Settings, resume: tuple[Run, dict[str, Any] | None] | None = None
) -> tuple[Recorder | None, str | None]:
    """A Recorder for a new run, or (None, why) when it cannot be saved: training goes on without.

    For `resume` = (run, checkpoint or None) a RunError is raised instead: a resumed run must be saved.
    """
    if resume is not None:
        run, state = resume
        return Recorder(run, resumed_from=int(state["step"]) if state else 0), None
    try:
        return Recorder.new(lesson, settings), None
    except BabytuiError as exc:
        return None, f"{exc}; training goes on without saving"

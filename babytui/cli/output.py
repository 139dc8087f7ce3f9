"""What the commands print: progress lines on stderr, results, and files written without overwriting."""

from __future__ import annotations

import time
from typing import Any

from ..core.errors import BabytuiError
from ..core.formatting import format_duration, plural


def write_new_file(path: str, write) -> None:
    """Create `path` and fill it with `write(file)`; never overwrites what the user already has."""
    try:
        with open(path, "x", encoding="utf-8", newline="") as f:
            write(f)
    except FileExistsError:
        raise BabytuiError(f"{path} already exists; choose another name or delete it first") from None
    except OSError as exc:
        raise BabytuiError(f"cannot write {path}: {exc.strerror}") from None


def indent(text: str) -> str:
    """Every line indented by two spaces."""
    return "\n".join("  " + line for line in text.splitlines())


def result_line(summary: dict[str, Any]) -> str:
    """A run's summary in one line."""
    parts = [f"lesson {summary['lesson']}", plural(summary["steps"], "step"), f"{summary['seconds']:.1f} s"]
    if summary["final_loss"] is not None:
        parts.append(f"final loss {summary['final_loss']:.6g}")
    if summary["test_accuracy"] is not None:
        best = summary.get("best_epoch")
        parts.append(f"test accuracy {summary['test_accuracy']:.2f}%" + (f" (epoch {best}'s weights, best on validation)" if best else ""))
    if summary.get("early_stopped"):
        parts.append(f"stopped early after epoch {summary['epochs']}")
    if summary["steps"]:
        parts.append(f"{summary['images_per_second']:,.0f} samples/s on {summary['device']}")
    return "done: " + ", ".join(parts)


class LiveLine:
    """One line of progress on stderr: redrawn in place on a terminal, a line every 10 s in a log."""

    WIDTH = 24
    """Characters in the bar."""

    def __init__(self, stream) -> None:
        self.stream = stream
        """Where the line goes (stderr)."""
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        """True when the line can be redrawn in place."""
        self._last = float("-inf")
        self._shown = False

    def due(self, final: bool) -> bool:
        """True at most 10 times a second on a terminal, every 10 s in a log, and always at the end."""
        now = time.monotonic()
        if now - self._last < (0.1 if self.tty else 10.0) and not final:
            return False
        self._last = now
        return True

    @classmethod
    def bar(cls, fraction: float) -> str:
        """A bar like [#####-----] for a fraction from 0 to 1."""
        filled = int(cls.WIDTH * fraction)
        return "[" + "#" * filled + "-" * (cls.WIDTH - filled) + "]"

    def show(self, line: str) -> None:
        """Draw the line: in place on a terminal, as a new line in a log."""
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
            self._shown = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def clear(self) -> None:
        """Remove the in-place line before other output."""
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._shown = False

    def close(self) -> None:
        """End the in-place line, keeping what it said."""
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False


class LoadBar(LiveLine):
    """Loading a dataset (a download, reading images): how much, how fast, how long is left."""

    def __call__(self, event) -> None:
        """Show a LoadProgress: a download always, reading images once it has taken a second
        (a small or cached folder stays quiet)."""
        if event.unit == "images" and event.elapsed < 1.0:
            return
        if not self.due(event.total is not None and event.done >= event.total):
            return
        if event.fraction is not None:
            self.show(f"{event.title} {self.bar(event.fraction)} {100 * event.fraction:5.1f}%  {event.amounts()}")
        else:
            self.show(f"{event.title}: {event.amounts()}")


class Progress(LiveLine):
    """A training run's progress: bar, epoch, step, loss, images/s and time left."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self.epochs = 0
        """Epochs planned, from RunStarted."""

    def start(self, event) -> None:
        """Remember the run's size."""
        self.epochs = event.epochs

    def update(self, event) -> None:
        """Show a StepLogged, if one is due."""
        if not self.tty and event.total_steps < 1000:
            return  # a short run in a log: the result line is enough
        if not self.due(event.step >= event.total_steps):
            return
        self.show(
            f"{self.bar(event.progress)} {100 * event.progress:5.1f}%  epoch {event.epoch}/{self.epochs}  "
            f"step {event.step:,}/{event.total_steps:,}  loss {event.loss:.4f}  "
            f"{event.samples_per_second:,.0f} img/s  {format_duration(event.eta)} left"
        )

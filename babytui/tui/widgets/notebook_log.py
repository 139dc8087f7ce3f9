"""The notebook-style output: each Note as a heading and its printed value."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import RichLog
from babytui.core.events import Finished, Note, RunStarted, Warned


class NotebookLog(RichLog):
    """The log of a run: notes, one line per epoch, and the result."""

    def __init__(self) -> None:
        super().__init__(id="log", wrap=True, markup=False, highlight=False, max_lines=5000, min_width=20)

    def _colour(self, name: str) -> str:
        """A theme colour as a Rich style (RichLog lines are Rich text)."""
        return self.app.theme_variables.get(name, "")

    def handle_event(self, event: Any) -> None:
        """Write what a notebook would print for this event."""
        if isinstance(event, RunStarted):
            self.clear()
            what = f"lesson {event.lesson} on {event.device}"
            if event.total_steps:
                what += f": {event.epochs} epochs, {event.total_steps:,} updates"
            if event.parameters:
                what += f", {event.parameters:,} parameters"
            if event.dataset:
                held = f" / {event.validation_size:,} validation" if event.validation_size else ""
                what += f", {event.dataset} ({event.train_size:,} train{held} / {event.test_size:,} test)"
            self.write(Text(what, style=f"italic {self._colour('text-muted') or 'dim'}"))
        elif isinstance(event, Note):
            self.write(Text(event.heading, style=f"bold {self._colour('primary')}"))
            self.write(Text(event.text))
        elif isinstance(event, Warned):
            self.write(Text(event.topic, style=f"bold {self._colour('warning')}"))
            self.write(Text(event.message))
        elif isinstance(event, Finished):
            self.write(Text(result_line(event), style=f"bold {self._colour('success')}"))

    def reset(self) -> None:
        """Forget the last run's output."""
        self.clear()

    def failed(self, lesson: int, message: str) -> None:
        """Write why a run of `lesson` failed (it may have failed before its log began)."""
        self.write(Text(f"lesson {lesson} failed: {message}", style=f"bold {self._colour('error')}"))


def result_line(event: Any) -> str:
    """A Finished event in one line."""
    parts = ["stopped" if event.stopped else "finished"]
    if event.steps:
        parts.append(f"{event.steps:,} updates")
    if event.final_loss is not None:
        parts.append(f"final loss {event.final_loss:.4f}")
    if event.test_accuracy is not None:
        parts.append(f"test accuracy {event.test_accuracy:.2f}%" + (f" (epoch {event.best_epoch}'s weights)" if event.best_epoch else ""))
    if getattr(event, "early_stopped", False):
        parts[0] = "stopped early"
    return ", ".join(parts)

"""The notebook-style output: each Note as a heading and its printed value."""

from __future__ import annotations

from collections import deque
from typing import Any

from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog

from babytui.core.events import Finished, HealthChecked, Note, RunStarted, Warned
from babytui.core.formatting import plural

from ..run_log import RunFailed

MAX_ENTRIES = 5000
"""Lines kept (each heading and each printed value is one, however it wraps)."""


class NotebookLog(RichLog):
    """The log of a run: notes, one line per epoch, and the result.

    RichLog wraps a line once, at the width it has when written (none while another tab is in
    front); this one keeps the lines it was given and wraps them all again whenever its width
    changes, so a zoom, a resize or a tab brought to the front always shows them at the full width.
    """

    DEFAULT_CSS = """
    NotebookLog { scrollbar-gutter: stable; }
    """

    def __init__(self) -> None:
        super().__init__(id="log", wrap=True, markup=False, highlight=False, max_lines=MAX_ENTRIES * 4, min_width=20)
        self.entries: deque[Text] = deque(maxlen=MAX_ENTRIES)
        """Every line written, unwrapped."""
        self._wrapped_at = 0  # the width the lines shown were wrapped at; 0 while never shown

    def _colour(self, name: str) -> str:
        """A theme colour as a Rich style (RichLog lines are Rich text)."""
        return self.app.theme_variables.get(name, "")

    def add(self, text: Text) -> None:
        """Write one line (wrapped to the width the log has, or once it is shown)."""
        self.entries.append(text)
        width = self.scrollable_content_region.width
        if width > 0 and width == self._wrapped_at:
            self.write(text)
        else:
            self._rewrap()

    def _rewrap(self) -> None:
        """Wrap every line again at the current width (nothing while the log is not on screen)."""
        width = self.scrollable_content_region.width
        if width <= 0:
            return
        self._wrapped_at = width
        self.clear()
        for text in self.entries:
            self.write(text)

    def on_resize(self, event: Resize) -> None:
        """A new width: wrap again."""
        super().on_resize(event)
        if self.scrollable_content_region.width != self._wrapped_at:
            self._rewrap()

    def on_show(self) -> None:
        """Brought to the front: wrap what came while hidden."""
        if self.scrollable_content_region.width != self._wrapped_at or len(self.entries) and not self.lines:
            self._rewrap()

    def handle_event(self, event: Any) -> None:
        """Write what a notebook would print for this event."""
        if isinstance(event, RunStarted):
            self.reset()
            what = f"lesson {event.lesson} on {event.device}"
            if event.total_steps:
                what += f": {plural(event.epochs, 'epoch')}, {plural(event.total_steps, 'update')}"
            if event.parameters:
                what += f", {plural(event.parameters, 'parameter')}"
            if event.dataset:
                held = f" / {event.validation_size:,} validation" if event.validation_size else ""
                what += f", {event.dataset} ({event.train_size:,} train{held} / {event.test_size:,} test)"
            self.add(Text(what, style=f"italic {self._colour('text-muted') or 'dim'}"))
        elif isinstance(event, Note):
            self.add(Text(event.heading, style=f"bold {self._colour('primary')}"))
            self.add(Text(event.text))
        elif isinstance(event, Warned):
            self.add(Text(event.topic, style=f"bold {self._colour('warning')}"))
            self.add(Text(event.message))
        elif isinstance(event, HealthChecked) and event.news:
            self.add(Text(f"health (step {event.step:,})", style=f"bold {self._colour('warning')}"))
            for sentence in event.news:
                self.add(Text(sentence))
        elif isinstance(event, Finished):
            self.add(Text(result_line(event), style=f"bold {self._colour('success')}"))
        elif isinstance(event, RunFailed):
            self.add(Text(f"lesson {event.lesson} failed: {event.message}", style=f"bold {self._colour('error')}"))

    def reset(self) -> None:
        """Forget the last run's output."""
        self.entries.clear()
        self.clear()

    def text(self) -> str:
        """Every line held, unwrapped, one a line."""
        return "\n".join(entry.plain for entry in self.entries)


def result_line(event: Any) -> str:
    """A Finished event in one line."""
    parts = ["stopped" if event.stopped else "finished"]
    if event.steps:
        parts.append(plural(event.steps, "update"))
    if event.final_loss is not None:
        parts.append(f"final loss {event.final_loss:.4f}")
    if event.test_accuracy is not None:
        parts.append(f"test accuracy {event.test_accuracy:.2f}%" + (f" (epoch {event.best_epoch}'s weights)" if event.best_epoch else ""))
    if getattr(event, "early_stopped", False):
        parts[0] = "stopped early"
    return ", ".join(parts)

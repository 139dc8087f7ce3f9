"""The health line: one line under the output views saying how healthy training looks, in words."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.color import Color
from textual.widget import Widget

from babytui.core.events import HealthChecked, RunStarted


class HealthLine(Widget):
    """The newest health check's summary (hidden until a run has one); 7 shows the details."""

    DEFAULT_CSS = """
    HealthLine {
        height: 1;
        display: none;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self) -> None:
        super().__init__(id="health-line")
        self.check: HealthChecked | None = None
        """The newest check shown."""

    def handle_event(self, event: Any) -> None:
        """Show each check's summary; a new run hides the last run's."""
        if isinstance(event, RunStarted):
            self.reset()
        elif isinstance(event, HealthChecked):
            changed = self.check is None or (event.summary, event.healthy) != (self.check.summary, self.check.healthy)
            self.check = event
            self.display = True
            if changed:
                self.refresh()

    def reset(self) -> None:
        """Hide the line."""
        self.check = None
        self.display = False

    def _colour(self, name: str) -> str:
        """A theme colour as a hex string ('' outside an app)."""
        try:
            return Color.parse(self.app.theme_variables[name]).hex
        except Exception:
            return ""

    def render(self) -> Text:
        """'health ✓ healthy at step 1,200 · ...' or 'health ⚠ ...' in the warning colour."""
        check = self.check
        if check is None:
            return Text()
        mark, colour = ("✓", self._colour("success")) if check.healthy else ("⚠", self._colour("warning"))
        line = Text.assemble(("health ", "bold"), (mark + " ", f"bold {colour}".strip()), check.summary)
        line.no_wrap = True
        line.overflow = "ellipsis"
        return line

"""Buttons for the mouse: run, pause, step, stop, reset."""

from __future__ import annotations

from textual.containers import Horizontal
from textual.widgets import Button

BUTTONS = (
    ("run", "Run", "success"),
    ("pause", "Pause", "default"),
    ("step", "Step", "default"),
    ("stop", "Stop", "error"),
    ("reset", "Reset", "warning"),
)
"""(id, label, variant) of each button, left to right."""


class ControlBar(Horizontal):
    """A row of compact buttons; each press runs the main screen's action of the same name."""

    def __init__(self) -> None:
        super().__init__(id="controls")

    def compose(self):
        """One compact button per control."""
        for name, label, variant in BUTTONS:
            yield Button(label, id=f"button-{name}", variant=variant, compact=True, action=f"screen.{name}")

    def set_state(self, *, running: bool, paused: bool, can_run: bool) -> None:
        """Enable the buttons that make sense now."""
        self.query_one("#button-run", Button).disabled = running or not can_run
        pause = self.query_one("#button-pause", Button)
        pause.label = "Resume" if paused else "Pause"
        pause.disabled = not running
        self.query_one("#button-step", Button).disabled = not running and not can_run
        self.query_one("#button-stop", Button).disabled = not running
        self.query_one("#button-reset", Button).disabled = running

"""One line at the bottom: device, dataset, epoch and step, progress, images/s, time left."""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.widget import Widget

from babytui.core.runs import format_duration

REFRESH_INTERVAL = 0.05
"""Seconds between redraws while steps arrive: at most 20 updates a second."""


class StatusLine(Widget):
    """Shows where and how far training is; step events are coalesced and drawn on a timer.

    It is one widget drawing one line (its own progress bar included), so a redraw never
    lays out the screen again: that keeps the interface's cost per step near nothing.
    """

    def __init__(self) -> None:
        super().__init__(id="status-line")
        self.device = "auto"
        """The device asked for, or the one a run uses."""
        self.dataset = ""
        """The dataset of an image lesson, empty otherwise."""
        self.state = "ready"
        """ready, starting, running, paused, stopping, done, stopped or failed."""
        self.epoch = 0
        """Epoch of the latest step."""
        self.epochs = 0
        """Epochs planned."""
        self.step = 0
        """Updates done."""
        self.total = 0
        """Updates planned."""
        self.rate = ""
        """Images (or samples) per second, in words."""
        self.eta = ""
        """Time left, in words."""
        self._latest: Any = None
        self._dirty = True

    def on_mount(self) -> None:
        """While a run goes, redraw at most every REFRESH_INTERVAL seconds."""
        self._timer = self.set_interval(REFRESH_INTERVAL, self.flush, pause=True)

    def set_where(self, device: str, dataset: str) -> None:
        """The device and dataset to show while idle."""
        self.device, self.dataset = device, dataset
        self._changed()

    def set_state(self, state: str) -> None:
        """The word for what training is doing."""
        self.state = state
        self._changed()

    def reset(self) -> None:
        """Forget the progress of the last run."""
        self.epoch = self.epochs = self.step = self.total = 0
        self.rate = self.eta = ""
        self._latest = None
        self.state = "ready"
        self._changed()

    def _changed(self) -> None:
        """Redraw now (these changes are rare, unlike steps)."""
        self._dirty = True
        self.flush()

    def idle(self) -> None:
        """The run is over: draw its last state and stop the timer."""
        self._timer.pause()
        self.flush()

    def handle(self, event: Any) -> None:
        """Take in a core event; steps only keep the latest, drawn by the timer."""
        name = type(event).__name__
        if name == "StepLogged":
            self._latest = event
            return
        if name == "RunStarted":
            state = "paused" if self.state == "paused" else "running"
            self.reset()
            self.state = state
            self.device = event.device
            self.dataset = event.dataset
            self.epochs = event.epochs
            self.total = event.total_steps
            self._timer.resume()
        elif name == "EpochEnded":
            self.epoch, self.step = event.epoch, event.step
        elif name == "Finished":
            self._take_latest()
            self.step = event.steps
            self.state = "stopped" if event.stopped else "done"
            if event.samples_per_second:
                self.rate = f"{event.samples_per_second:,.0f} img/s"
            self.eta = ""
        self._changed()

    def _take_latest(self) -> None:
        """Copy the latest StepLogged into the shown fields."""
        event, self._latest = self._latest, None
        if event is None:
            return
        self.epoch, self.step, self.total = event.epoch, event.step, event.total_steps
        self.rate = f"{event.samples_per_second:,.0f} img/s"
        self.eta = f"{format_duration(event.eta)} left"

    def flush(self) -> None:
        """Redraw if anything changed since the last redraw (a repaint, never a new layout)."""
        if not self._dirty and self._latest is None:
            return
        self._take_latest()
        self._dirty = False
        self.refresh()

    def render(self) -> Content:
        """State, device, dataset, epoch and step; the bar and percentage; speed and time left."""
        where = [self.state, self.device]
        if self.dataset:
            where.append(self.dataset)
        if self.total:
            if self.epochs:
                where.append(f"epoch {self.epoch}/{self.epochs}")
            where.append(f"step {self.step:,}/{self.total:,}")
        left = " " + " · ".join(where) + " "
        fraction = min(1.0, self.step / self.total) if self.total else 0.0
        percent = f" {100 * fraction:3.0f}% "
        right = "  ".join(part for part in (self.rate, self.eta) if part)
        right = f" {right} " if right else ""
        width = self.size.width
        bar = max(0, width - len(left) - len(percent) - len(right))
        if bar < 5:  # too narrow for a bar: the words matter more
            return Content(left + right)
        filled = round(bar * fraction)
        return Content.assemble(
            left,
            ("━" * filled, "$accent"),
            ("━" * (bar - filled), "$text-disabled"),
            percent,
            (right, "$text-muted"),
        )

"""One line at the bottom: device, dataset, epoch and step, progress, images/s, time left."""

from __future__ import annotations

from typing import Any

from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

REFRESH_INTERVAL = 0.05
"""Seconds between redraws while steps arrive: at most 20 updates a second."""


def clock(seconds: float) -> str:
    """Seconds as m:ss or h:mm:ss."""
    seconds = max(0, int(seconds + 0.5))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class StatusLine(Horizontal):
    """Shows where and how far training is; step events are coalesced and drawn on a timer."""

    def __init__(self) -> None:
        super().__init__(id="status-line")
        self.device = "auto"
        """The device asked for, or the one a run uses."""
        self.dataset = ""
        """The dataset of an image lesson, empty otherwise."""
        self.state = "ready"
        """ready, loading, running, paused, stopping, done, stopped or failed."""
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

    def compose(self):
        """Where and how far, the progress bar, and how fast."""
        yield Label(id="status-where")
        yield ProgressBar(total=1, show_eta=False, id="status-progress")
        yield Label(id="status-speed")

    def on_mount(self) -> None:
        """Draw now; while a run goes, redraw at most every REFRESH_INTERVAL seconds."""
        self.flush()
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
        if self.is_mounted:
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
        elif name == "RunStarted":
            state = "paused" if self.state == "paused" else "running"
            self.reset()
            self.state = state
            self._timer.resume()
            self.device = event.device
            self.dataset = event.dataset
            self.epochs = event.epochs
            self.total = event.total_steps
        elif name == "EpochEnded":
            self.epoch, self.step = event.epoch, event.step
        elif name == "Finished":
            self._take_latest()
            self.step = event.steps
            self.state = "stopped" if event.stopped else "done"
            if event.samples_per_second:
                self.rate = f"{event.samples_per_second:,.0f} img/s"
            self.eta = ""
        self._dirty = True
        if name != "StepLogged":
            self.flush()

    def _take_latest(self) -> None:
        """Copy the latest StepLogged into the shown fields."""
        event, self._latest = self._latest, None
        if event is None:
            return
        self.epoch, self.step, self.total = event.epoch, event.step, event.total_steps
        self.rate = f"{event.samples_per_second:,.0f} img/s"
        self.eta = f"{clock(event.eta)} left"

    def flush(self) -> None:
        """Redraw if anything changed since the last redraw."""
        if not self._dirty and self._latest is None:
            return
        self._take_latest()
        self._dirty = False
        where = [self.state, self.device]
        if self.dataset:
            where.append(self.dataset)
        if self.total:
            where.append(f"epoch {self.epoch}/{self.epochs}" if self.epochs else "")
            where.append(f"step {self.step:,}/{self.total:,}")
        self.query_one("#status-where", Label).update(" · ".join(w for w in where if w))
        bar = self.query_one("#status-progress", ProgressBar)
        bar.update(total=self.total or 1, progress=self.step if self.total else 0)
        self.query_one("#status-speed", Label).update("  ".join(w for w in (self.rate, self.eta) if w))

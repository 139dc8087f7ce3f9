"""One line at the bottom: device, dataset, epoch and step, progress, images/s, time left."""

from __future__ import annotations

import time
from typing import Any

from textual.content import Content
from textual.widget import Widget

from babytui.core.formatting import format_duration

REFRESH_INTERVAL = 0.05
"""Seconds between redraws while steps arrive: at most 20 updates a second."""
from babytui.core.events import EpochEnded, Finished, LrChanged, RangeTestDone, RangeTestLogged, RunStarted, StepLogged


class StatusLine(Widget):
    """Shows where and how far training is; step events are coalesced, at most 20 redraws a second.

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
        self.lr = ""
        """The lr in use, in words (image lessons)."""
        self._latest: Any = None
        self.load_progress: Any = None
        """The LoadProgress of data being loaded (downloaded, read) before a run, else None."""
        self._dirty = True
        self._drawn_at = 0.0
        self._pending: Any = None  # the one-shot timer of a redraw held back, if any

    def set_where(self, device: str, dataset: str) -> None:
        """The device and dataset to show while idle."""
        self.device, self.dataset = device, dataset
        self._changed()

    def set_state(self, state: str) -> None:
        """The word for what training is doing."""
        self.state = state
        self.load_progress = None
        self._changed()

    def loading(self, progress: Any) -> None:
        """Show how far loading the data has got (a LoadProgress), at most 20 times a second."""
        done = progress.total is not None and progress.done >= progress.total
        self.load_progress = None if done else progress
        self.state = "loading data" if done else progress.title
        self._dirty = True
        self._throttled()

    def reset(self) -> None:
        """Forget the progress of the last run."""
        self.epoch = self.epochs = self.step = self.total = 0
        self.rate = self.eta = self.lr = ""
        self._latest = None
        self.load_progress = None
        self.state = "ready"
        self._changed()

    def _changed(self) -> None:
        """Redraw now (these changes are rare, unlike steps)."""
        self._dirty = True
        self.flush()

    def idle(self) -> None:
        """The run is over: draw its last state now."""
        self.flush()

    def _throttled(self) -> None:
        """Redraw now, or once REFRESH_INTERVAL has passed since the last redraw.

        No timer ticks while nothing arrives: each wake-up of the interface takes the GIL
        from the training thread.
        """
        if self._pending is not None:
            return
        wait = self._drawn_at + REFRESH_INTERVAL - time.monotonic()
        if wait <= 0:
            self.flush()
        else:
            self._pending = self.set_timer(wait, self._held_back)

    def _held_back(self) -> None:
        """The held-back redraw, now due."""
        self._pending = None
        self.flush()

    def handle(self, event: Any) -> None:
        """Take in a core event; of the steps only the latest is kept, drawn at most 20 times a second."""
        if isinstance(event, StepLogged):
            self._latest = event
            self._throttled()
            return
        if isinstance(event, RangeTestLogged):
            self.state, self.epochs, self.step, self.total = "range test", 0, event.step, event.total_steps
            self.lr = f"lr {event.lrs[-1]:.2g}"
            self._dirty = True
            self._throttled()
            return
        if isinstance(event, RangeTestDone):
            self.state = "range test done" if event.reason != "stopped" else "stopped"
            self.rate = self.eta = ""
        elif isinstance(event, LrChanged):
            self.lr = f"lr {event.current:.3g}"
        elif isinstance(event, RunStarted):
            self.reset()
            self.state = "running"  # the app says "paused" instead when the run waits for a step
            self.device = event.device
            self.dataset = event.dataset
            self.epochs = event.epochs
            self.total = event.total_steps
        elif isinstance(event, EpochEnded):
            self.epoch, self.step = event.epoch, event.step
        elif isinstance(event, Finished):
            self._take_latest()
            self.step = event.steps
            self.state = "stopped" if event.stopped else "done"
            if event.samples_per_second:
                self.rate = self._speed(event.samples_per_second)
            self.eta = ""
        self._changed()

    def _take_latest(self) -> None:
        """Copy the latest StepLogged into the shown fields."""
        event, self._latest = self._latest, None
        if event is None:
            return
        self.epoch, self.step, self.total = event.epoch, event.step, event.total_steps
        self.rate = self._speed(event.samples_per_second)
        self.eta = f"{format_duration(event.eta)} left"
        if event.lr is not None:
            self.lr = f"lr {event.lr:.3g}"

    def _speed(self, per_second: float) -> str:
        """The training speed in words: images a second for an image lesson (the figure lesson 21 is about)."""
        return f"{per_second:,.0f} {'images/s' if self.dataset else 'img/s'}"

    def flush(self) -> None:
        """Redraw if anything changed since the last redraw (a repaint, never a new layout)."""
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        if not self._dirty and self._latest is None:
            return
        self._take_latest()
        self._dirty = False
        self._drawn_at = time.monotonic()
        self.refresh()

    def render(self) -> Content:
        """State, device, dataset, epoch and step; the bar and percentage; speed and time left."""
        if self.load_progress is not None:
            return self._bar(f" {self.state} ", self.load_progress.fraction or 0.0, f" {self.load_progress.amounts()} ")
        where = [self.state, self.device]
        if self.dataset:
            where.append(self.dataset)
        if self.total:
            if self.epochs:
                where.append(f"epoch {self.epoch}/{self.epochs}")
            where.append(f"step {self.step:,}/{self.total:,}")
        left = " " + " · ".join(where) + " "
        right = "  ".join(part for part in (self.lr, self.rate, self.eta) if part)
        if not self.total:  # idle, or a lesson that makes no updates: no progress to draw
            return Content(left + (f"  {right}" if right else ""))
        fraction = min(1.0, self.step / self.total)
        return self._bar(left, fraction, f" {right} " if right else "")

    def _bar(self, left: str, fraction: float, right: str) -> Content:
        """Words on the left, a bar with its percentage filling the middle, words on the right."""
        percent = f" {100 * fraction:3.0f}% "
        bar = max(0, self.size.width - len(left) - len(percent) - len(right))
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

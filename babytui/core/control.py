"""Steering a training loop from another thread (stop, pause, step) and its clock of training time."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Iterator


class Control:
    """Stop, pause, resume and single-step a training loop from another thread."""

    def __init__(self, stop: threading.Event | None = None) -> None:
        self.stop_event = stop or threading.Event()
        """Set to end the run after the current batch."""
        self.quick = False
        """Stopping to quit: skip scoring the test split at the end, only save the checkpoint."""
        self.waited = 0.0
        """Seconds the loop has spent held by a pause: left out of its training time."""
        self.planned_lrs: dict[int, float] = {}
        """lr changes to make when the run has done so many updates (a resumed run replays its own)."""
        self._cond = threading.Condition()
        self._paused = False
        self._steps_allowed = 0
        self._lr_request: tuple[float | None, float | None] | None = None

    @property
    def paused(self) -> bool:
        """True while the loop waits instead of training."""
        return self._paused

    @property
    def stopped(self) -> bool:
        """True once a stop was asked for."""
        return self.stop_event.is_set()

    def stop(self, *, quick: bool = False) -> None:
        """End the run after the current batch (also wakes a paused loop).

        `quick` (to quit the program) leaves out the final scoring of the test split, which
        takes seconds on a CPU; the checkpoint is still written.
        """
        self.quick = self.quick or quick
        self.stop_event.set()
        with self._cond:
            self._cond.notify_all()

    def pause(self) -> None:
        """Hold the loop before its next batch."""
        with self._cond:
            self._paused = True

    def resume(self) -> None:
        """Let a paused loop run freely again."""
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def step(self, count: int = 1) -> None:
        """Pause (if running) and allow exactly `count` more batches."""
        with self._cond:
            self._paused = True
            self._steps_allowed += count
            self._cond.notify_all()

    def set_lr(self, lr: float | None = None, *, factor: float | None = None) -> None:
        """Ask the run to use the lr setting `lr` (or its own times `factor`) from its next batch on.

        Factors asked for before the next batch add up: - pressed twice quarters the lr.
        """
        with self._cond:
            pending = self._lr_request
            if lr is None and factor is not None and pending is not None:
                before, before_factor = pending
                lr, factor = (before * factor, None) if before is not None else (None, (before_factor or 1.0) * factor)
            self._lr_request = (lr, factor)

    def lr_change(self, step: int, current: float) -> float | None:
        """The lr setting to switch to before the next batch, `step` updates done and `current` in
        force; None to keep it. Asked for with `set_lr` since the last batch, or planned for this step.
        """
        if self._lr_request is not None:  # a plain read each batch; the lock only when there is one
            with self._cond:
                request, self._lr_request = self._lr_request, None
            if request is not None:
                lr, factor = request
                return lr if lr is not None else current * (factor or 1.0)
        if self.planned_lrs:
            return self.planned_lrs.pop(step, None)
        return None

    def wait_turn(self) -> bool:
        """Block while paused; True when the next batch may run, False when stopped."""
        if self.stop_event.is_set():
            return False
        if not self._paused:
            return True
        held_from = time.perf_counter()
        with self._cond:
            while self._paused and self._steps_allowed == 0 and not self.stop_event.is_set():
                self._cond.wait(0.1)
            self.waited += time.perf_counter() - held_from
            if self.stop_event.is_set():
                return False
            if self._paused:
                self._steps_allowed -= 1
            return True


class Clock:
    """Training time: the wall time since the start, less pauses and the work between epochs."""

    def __init__(self, already: float = 0.0) -> None:
        self._started = time.perf_counter() - already
        self._left_out = 0.0

    @property
    def seconds(self) -> float:
        """Seconds of training so far."""
        return time.perf_counter() - self._started - self._left_out

    def wait_turn(self, control: Control) -> bool:
        """The control's go-ahead for the next batch; time held by a pause is not training time."""
        if not control.paused:
            return not control.stop_event.is_set()
        held = control.waited
        go = control.wait_turn()
        self._left_out += control.waited - held
        return go

    @contextmanager
    def left_out(self) -> Iterator[None]:
        """Time spent inside (scoring an epoch, pictures, checkpoints) is not training time."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self._left_out += time.perf_counter() - started

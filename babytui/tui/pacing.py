"""Pacing a costly view's redraws by what they cost, so the interface leaves training its time."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

DRAW_SHARE = 0.03
"""The most of the interface thread's time one costly view may take while training runs: on a
slow machine one redraw of a plot costs tens of milliseconds, and training waits meanwhile."""


class Pacer:
    """Says when a costly view may redraw again.

    Not before `interval` seconds have passed, and not before the last redraw's CPU time
    divided by `share`: drawing then takes at most that share of the interface thread's
    time. Every moment the interface holds the GIL, the training thread waits.
    """

    def __init__(self, interval: float, share: float) -> None:
        self.interval = interval
        """The shortest time between redraws, in seconds."""
        self.share = share
        """The most of the time redraws may take, 0-1."""
        self._next = 0.0

    def due(self) -> bool:
        """True when a redraw may happen now."""
        return time.monotonic() >= self._next

    @contextmanager
    def drawing(self) -> Iterator[None]:
        """Wrap one redraw: what it cost sets when the next may come."""
        started, cpu = time.monotonic(), time.thread_time()
        try:
            yield
        finally:
            cost = time.thread_time() - cpu
            self._next = started + max(self.interval, cost / self.share)

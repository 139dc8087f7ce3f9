"""How far loading a dataset has got: a CIFAR-10 download, or reading a folder of images."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from .formatting import format_bytes, format_duration


@dataclass(frozen=True)
class LoadProgress:
    """How far loading a dataset has got; sent to the progress callback a few times a second."""

    title: str
    """What is being done, in words: "downloading CIFAR-10", "reading images"."""
    done: int
    """Bytes received or images read so far."""
    total: int | None
    """Bytes or images expected, or None when unknown (a server that does not say)."""
    rate: float
    """Bytes or images per second since the start."""
    elapsed: float
    """Seconds since the start."""
    unit: str = "bytes"
    """"bytes" or "images"."""

    @property
    def fraction(self) -> float | None:
        """Share done, 0-1, or None when the size is unknown."""
        return min(1.0, self.done / self.total) if self.total else None

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate, or None when unknown."""
        if not self.total or self.rate <= 0:
            return None
        return max(0.0, (self.total - self.done) / self.rate)

    def amounts(self) -> str:
        """How much, how fast and how long is left: "58.0 MB of 170.5 MB  5.1 MB/s  30s left"."""
        if self.unit == "bytes":
            size = format_bytes(self.done) + (f" of {format_bytes(self.total)}" if self.total else "")
            rate = f"{format_bytes(self.rate)}/s"
        else:
            size = f"{self.done:,}" + (f" of {self.total:,}" if self.total else "") + f" {self.unit}"
            rate = f"{self.rate:,.0f}/s"
        left = f"  {format_duration(self.eta)} left" if self.eta is not None else ""
        return f"{size}  {rate}{left}"


ProgressCallback = Callable[[LoadProgress], None]
"""Called with each LoadProgress; must be quick. It may raise LoadCancelled to stop the loading
(nothing of it is kept); any other exception is a bug."""


class Reporter:
    """Counts work done and tells a progress callback, at most 10 times a second and at the end."""

    def __init__(self, title: str, total: int | None, progress: ProgressCallback | None, unit: str = "bytes") -> None:
        self.title, self.total, self.progress, self.unit = title, total, progress, unit
        self.done = 0
        """Units done so far."""
        self._started = time.monotonic()
        self._last = 0.0
        self._told = -1  # `done` as last told

    def add(self, count: int) -> None:
        """`count` more units are done."""
        self.done += count
        now = time.monotonic()
        if self.progress is not None and now - self._last >= 0.1:
            self._last = now
            self._tell(now)

    def finish(self) -> None:
        """Tell the final figure (with the total now known), unless it was the last one told."""
        if self.total is None:
            self.total = self.done
        if self.progress is not None and self._told != self.done:
            self._tell(time.monotonic())

    def _tell(self, now: float) -> None:
        self._told = self.done
        elapsed = now - self._started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        self.progress(LoadProgress(self.title, self.done, self.total, rate, elapsed, self.unit))

"""Costly redraws wait in proportion to what they cost, so training keeps the GIL."""

from __future__ import annotations

import pytest

from babytui.tui import pacing
from babytui.tui.pacing import Pacer


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    """A wall clock and a CPU clock that move only when the test says."""
    now = {"wall": 100.0, "cpu": 0.0}
    monkeypatch.setattr(pacing.time, "monotonic", lambda: now["wall"])
    monkeypatch.setattr(pacing.time, "thread_time", lambda: now["cpu"])
    return now


def draw(pacer: Pacer, clock: dict[str, float], cost: float) -> None:
    """One redraw that takes `cost` seconds of CPU."""
    with pacer.drawing():
        clock["wall"] += cost
        clock["cpu"] += cost


def test_a_cheap_redraw_waits_the_interval(clock) -> None:
    pacer = Pacer(0.25, 0.05)
    assert pacer.due()
    draw(pacer, clock, 0.002)
    clock["wall"] = 100.24
    assert not pacer.due()
    clock["wall"] = 100.26
    assert pacer.due()


def test_a_costly_redraw_waits_until_drawing_is_its_share_of_the_time(clock) -> None:
    pacer = Pacer(0.25, 0.05)
    draw(pacer, clock, 0.05)  # 50 ms of drawing: the next may start one second after this began
    clock["wall"] = 100.99
    assert not pacer.due()
    clock["wall"] = 101.01
    assert pacer.due()
    draw(pacer, clock, 0.001)  # cheap again: back to the interval
    clock["wall"] += 0.25
    assert pacer.due()

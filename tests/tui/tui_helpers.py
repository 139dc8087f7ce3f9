"""Helpers of the app tests: tiny generated images and waiting for the app."""

from __future__ import annotations

import time
from typing import Callable

import torch


def tiny_image_data(train: int = 64, test: int = 32):
    """A small random ImageData: image lessons run in a second, and no dataset is needed."""
    from babytui.core.data import CIFAR10_CLASSES, ImageData

    generator = torch.Generator().manual_seed(0)
    return ImageData(
        "cifar10",
        torch.randint(0, 256, (train, 3, 32, 32), dtype=torch.uint8, generator=generator),
        torch.randint(0, 10, (train,), generator=generator),
        torch.randint(0, 256, (test, 3, 32, 32), dtype=torch.uint8, generator=generator),
        torch.randint(0, 10, (test,), generator=generator),
        CIFAR10_CLASSES,
    )


async def wait_until(pilot, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {condition}")
        await pilot.pause(0.02)


async def ready(pilot) -> None:
    """Wait until the core (torch) has loaded in the background."""
    await wait_until(pilot, lambda: pilot.app.core_loaded)
    await pilot.pause()


async def go_to(pilot, number: int) -> None:
    """Select a lesson in the sidebar and wait for its pane and form."""
    from babytui.tui.widgets.settings_form import SettingsForm
    from babytui.tui.widgets.sidebar import LessonSidebar

    pilot.app.query_one(LessonSidebar).select(number)
    await wait_until(pilot, lambda: pilot.app.lesson.number == number and pilot.app.query_one(SettingsForm).inputs)
    await pilot.pause()


async def run_lesson(pilot, number: int) -> None:
    """Once the core has loaded, go to a lesson and press r with the sidebar focused."""
    from babytui.tui.widgets.sidebar import LessonSidebar

    await ready(pilot)
    await go_to(pilot, number)
    pilot.app.query_one(LessonSidebar).focus()
    await pilot.press("r")

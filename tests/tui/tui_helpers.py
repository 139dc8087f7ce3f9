"""Helpers of the app tests: tiny generated images and waiting for the app."""

from __future__ import annotations

import time
from typing import Callable

from image_data import random_image_data


def tiny_image_data(train: int = 64, test: int = 32):
    """A small random ImageData: image lessons run in a second, and no dataset is needed."""
    return random_image_data(train, test)


async def wait_until(pilot, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {condition}")
        await pilot.pause(0.02)


async def ready(pilot) -> None:
    """Wait until the core (torch) has loaded in the background."""
    await wait_until(pilot, lambda: pilot.app.main.core_loaded)
    await pilot.pause()


async def go_to(pilot, number: int) -> None:
    """Select a lesson in the sidebar and wait for its pane and form."""
    from babytui.tui.widgets.settings_form import SettingsForm
    from babytui.tui.widgets.sidebar import LessonSidebar

    pilot.app.query_one(LessonSidebar).select(number)
    await wait_until(pilot, lambda: pilot.app.main.lesson.number == number and pilot.app.query_one(SettingsForm).inputs)
    await pilot.pause()


async def run_lesson(pilot, number: int) -> None:
    """Once the core has loaded, go to a lesson and press r with the sidebar focused."""
    from babytui.tui.widgets.sidebar import LessonSidebar

    await ready(pilot)
    await go_to(pilot, number)
    pilot.app.query_one(LessonSidebar).focus()
    await pilot.press("r")


def log_text(app) -> str:
    """Everything the notebook log holds, as plain text with wrapped lines joined by spaces."""
    from babytui.tui.widgets.notebook_log import NotebookLog

    return " ".join(app.query_one(NotebookLog).text().split())


def notifications(app) -> list[str]:
    """The messages of the notifications on screen."""
    return [n.message for n in app._notifications]


async def type_into(pilot, name: str, text: str, keys: bool = False) -> None:
    """Replace a setting's text (key by key when `keys`) and let the form check it."""
    from textual.widgets import Input

    field = pilot.app.query_one(f"#field-{name}", Input)
    field.focus()
    if keys:
        field.value = ""
        await pilot.press(*text)
    else:
        field.value = text
    await pilot.pause()


async def set_field(pilot, name: str, text: str) -> None:
    """Replace a setting's text, let the form check it, and give the keys back to the sidebar."""
    from babytui.tui.widgets.sidebar import LessonSidebar

    await type_into(pilot, name, text)
    pilot.app.query_one(LessonSidebar).focus()

"""Write docs/screenshot.svg: lesson 8 after a 2000-epoch run with lr 1, at 120x40.

    python docs/make_screenshot.py
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from babytui.tui.app import BabytuiApp
from babytui.tui.widgets.settings_form import SettingsForm
from babytui.tui.widgets.sidebar import LessonSidebar


async def wait_until(pilot, condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("the app did not get there in time")
        await pilot.pause(0.05)


async def main() -> None:
    app = BabytuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.main.core_loaded)
        app.query_one(LessonSidebar).select(8)
        await wait_until(pilot, lambda: app.main.lesson.number == 8 and app.query_one(SettingsForm).inputs)
        form = app.query_one(SettingsForm)
        form.set_value("lr", "1")
        form.set_value("epochs", "2000")
        await pilot.pause(0.3)
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.main.running_lesson is None and app.query_one(LessonSidebar).item(8).result)
        await pilot.pause(0.5)
        await pilot.press("2")  # the loss plot
        await pilot.pause(1.0)
        out = Path(__file__).with_name("screenshot.svg")
        app.save_screenshot(filename=out.name, path=str(out.parent))
        print(f"wrote {out}")


if __name__ == "__main__":
    asyncio.run(main())

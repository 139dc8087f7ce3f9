"""The prediction grid's second view: a switches to the augmented training images the network is fed, and back."""

from __future__ import annotations

import io

from rich.console import Console

from babytui.core.events import RunStarted
from babytui.tui.app import BabytuiApp
from babytui.tui.widgets.prediction_grid import PredictionGrid
from fixed_events import CLASSES, fed_event, injected_events
from tui_helpers import ready

SIZE = (140, 45)


def plain(renderable) -> str:
    """What a Rich renderable reads as, without colours."""
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


async def test_a_switches_to_what_the_network_is_fed_and_back() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        for event in [*injected_events(wrong=9, images=40), fed_event()]:
            app.main.handle_event(event)
        await pilot.press("4")
        await pilot.pause()
        grid = app.query_one(PredictionGrid)
        assert "40 test images" in plain(grid.render()) and not grid.showing_fed
        await pilot.press("a")
        shown = plain(grid.render())
        assert grid.showing_fed
        assert "What the network is fed: 24 training images of epoch 3, crop (padding 4), flip" in shown
        assert "test images" not in shown and "✓" not in shown and "✗" not in shown  # no predictions here
        assert "truck" in shown  # the first one's class (label 9)
        assert len(grid.shown) == 24
        await pilot.press("n")
        assert grid.page == (1 if grid.pages > 1 else 0)
        await pilot.press("enter")
        assert not grid.detail  # a training image has no top 3
        await pilot.press("w")
        assert not grid.wrong_only and len(grid.shown) == 24  # nor a guess to be wrong
        await pilot.press("a")
        back = plain(grid.render())
        assert not grid.showing_fed and "40 test images" in back and "What the network is fed" not in back


async def test_before_any_augmented_images_the_view_says_where_they_come_from() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        for event in injected_events(wrong=9, images=40):
            app.main.handle_event(event)
        await pilot.press("4", "a")
        await pilot.pause()
        shown = plain(app.query_one(PredictionGrid).render())
        assert "What the network is fed" in shown and "crop padding or flip" in shown


async def test_a_new_run_forgets_the_last_runs_training_images() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        for event in [*injected_events(wrong=9, images=40), fed_event()]:
            app.main.handle_event(event)
        grid = app.query_one(PredictionGrid)
        assert grid.fed is not None
        app.main.handle_event(RunStarted(14, "cpu", 2, 500, 1000, 100, "cifar10", CLASSES, 2000, 1000))
        await pilot.pause()
        assert grid.fed is None

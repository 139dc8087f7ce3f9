"""The live views (loss plot, weights, predictions, confusion) driven by real runs and by injected events."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import DataTable, TabbedContent

from babytui.tui.app import BabytuiApp
from babytui.tui.widgets.confusion_matrix import ConfusionMatrix
from babytui.tui.widgets.loss_plot import LossCanvas, LossPlot
from babytui.tui.widgets.prediction_grid import PredictionGrid
from babytui.tui.widgets.status_line import StatusLine
from babytui.tui.widgets.weight_inspector import WeightInspector
from fixed_events import injected_events
from tui_helpers import go_to, ready, run_lesson, set_field, wait_until

SIZE = (140, 45)


def plain(renderable) -> str:
    """What a Rich renderable (or a Static's content) reads as, without colours."""
    renderable = getattr(renderable, "content", renderable)
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


async def inject(pilot, events: list) -> None:
    """Pass events to the app the way the worker's messages do."""
    for event in events:
        pilot.app.main.handle_event(event)
    await pilot.pause()


async def test_each_view_says_what_it_is_when_empty() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert "loss curve" in plain(app.query_one("#loss-empty"))
        assert not app.query_one(LossCanvas).display
        await pilot.press("3")
        await pilot.pause(0.6)
        assert "weight" in plain(app.query_one("#weights-summary"))
        assert "test images" in plain(app.query_one(PredictionGrid).render())
        assert "confuses" in plain(app.query_one("#confusion-table"))


async def test_a_short_run_fills_every_view(tiny_images) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 12)
        await set_field(pilot, "epochs", "2")
        await pilot.press("r")
        await wait_until(pilot, lambda: app.main.running_lesson is None and app.query_one(StatusLine).step > 0, 30)
        plot = app.query_one(LossPlot)
        assert len(plot.history) == 32  # 64 images, batch 4, 2 epochs
        assert len(plot.history.test_accuracy) == 2
        await pilot.press("2")
        await pilot.pause(0.4)
        assert app.query_one(LossCanvas).display and "step 32" in plain(app.query_one("#loss-summary"))
        await pilot.press("3")
        await wait_until(pilot, lambda: app.query_one("#weights-table", DataTable).row_count == 6)
        assert app.query_one(DataTable).has_focus
        await pilot.press("4")
        grid = app.query_one(PredictionGrid)
        assert grid.has_focus and grid.images is not None and len(grid.images) == 32
        assert "right" in plain(grid.render())
        await pilot.press("5")
        assert len(app.query_one(ConfusionMatrix).confusion) == 10
        # The next run keeps this one as its ghost.
        await pilot.press("r")
        await wait_until(pilot, lambda: app.main.running_lesson is None and len(plot.history) == 32, 30)
        assert plot.ghost is not None and len(plot.ghost[0]) == 32


async def test_a_view_brought_to_the_front_draws_at_once(tiny_images) -> None:
    # A costly redraw holds the next one back; switching to the view must not wait for that.
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await run_lesson(pilot, 12)
        await wait_until(pilot, lambda: app.main.running_lesson is None and app.query_one(StatusLine).step > 0, 30)
        plot, inspector = app.query_one(LossPlot), app.query_one(WeightInspector)
        plot.pacer.due = inspector.pacer.due = lambda: False  # as if each had just taken very long
        steps = app.query_one(StatusLine).step
        await pilot.press("2")
        await wait_until(pilot, lambda: f"step {steps}" in plain(app.query_one("#loss-summary")), 5)
        await pilot.press("3")
        await wait_until(pilot, lambda: app.query_one("#weights-table", DataTable).row_count == 6, 5)


async def test_grid_pages_filters_and_shows_the_top_3() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await inject(pilot, injected_events(wrong=9, images=40))
        await pilot.press("4")
        await pilot.pause()
        grid = app.query_one(PredictionGrid)
        per_page = grid.per_page
        assert 1 <= per_page < 40 and grid.pages == -(-40 // per_page)
        await pilot.press("n")
        assert grid.page == 1 and grid.cursor == per_page
        await pilot.press("b")
        assert grid.page == 0
        await pilot.press("w")
        assert grid.wrong_only and grid.shown == list(range(9))
        assert grid.pages == -(-9 // per_page)
        await pilot.press("right", "enter")
        assert grid.detail and grid.cursor == 1
        detail = plain(grid.render())
        assert "#1" in detail and "70.0%" in detail and "14.0%" in detail
        await pilot.press("w")
        assert not grid.wrong_only and len(grid.shown) == 40


async def test_loss_plot_switches_to_log10_and_draws_fast_enough() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await inject(pilot, injected_events())
        await pilot.press("2")
        await pilot.pause(0.4)
        plot = app.query_one(LossPlot)
        assert "accuracy 50.0%" in plot.summary().plain
        await pilot.press("l")
        assert plot.log_scale
        canvas = app.query_one(LossCanvas)
        text = canvas.render().plain
        assert "log10(loss)" in text and "accuracy %" in text and "step" in text


async def test_lesson_5_shows_weights_before_and_after_the_update() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 5)
        await pilot.press("r")
        await wait_until(pilot, lambda: app.main.running_lesson is None and app.query_one(StatusLine).step > 0)
        await pilot.press("3")
        inspector = app.query_one(WeightInspector)
        await wait_until(pilot, lambda: inspector.query_one(DataTable).row_count == 2)
        assert inspector.before.tag == "before" and inspector.after.tag == "after"
        values = app.query_one("#weights-values")
        await wait_until(pilot, lambda: "change" in plain(values))
        await pilot.press("down")
        await wait_until(pilot, lambda: inspector.selected == "bias")
        assert "bias" in plain(values)


async def test_views_say_so_on_a_lesson_without_images() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 8)
        await pilot.press("r")
        await wait_until(pilot, lambda: app.main.running_lesson is None and app.query_one(StatusLine).step > 0)
        assert "no images" in plain(app.query_one(PredictionGrid).render())
        assert "no classes" in plain(app.query_one("#confusion-table"))
        assert len(app.query_one(LossPlot).history) == 3


async def test_switching_tabs_during_a_run_never_stalls_training(tiny_images) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 14)
        await set_field(pilot, "epochs", "1000")
        await pilot.press("r")
        status = app.query_one(StatusLine)
        await wait_until(pilot, lambda: status.step > 0)
        for key in "2345123451":
            before = status.step
            await pilot.press(key)
            await wait_until(pilot, lambda: status.step > before, 5)
            assert app.query_one("#output", TabbedContent).active.endswith(
                ("log", "loss", "weights", "predictions", "confusion")[int(key) - 1]
            )
        await pilot.press("x")
        await wait_until(pilot, lambda: app.main.running_lesson is None)


def test_step_ticks_are_whole_round_numbers() -> None:
    from babytui.tui.widgets.loss_plot import step_ticks

    assert step_ticks(70) == [0, 20, 40, 60]
    assert step_ticks(312_500) == [0, 100_000, 200_000, 300_000]
    assert step_ticks(3) == [0, 1, 2, 3]


def test_the_views_do_not_import_numpy_before_the_first_frame() -> None:
    import subprocess
    import sys

    code = "import sys, babytui.tui.app; print('numpy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


async def test_z_lets_the_views_fill_the_screen() -> None:
    from babytui.tui.widgets.output_area import OutputArea

    app = BabytuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await inject(pilot, injected_events())
        await pilot.press("4")
        grid = app.query_one(PredictionGrid)
        small = grid.per_page
        await pilot.press("z")
        await pilot.pause()
        assert isinstance(app.screen.maximized, OutputArea)
        assert grid.per_page > small
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is None
        await pilot.press("z", "escape")
        await pilot.pause()
        assert app.screen.maximized is None and app.main.running_lesson is None

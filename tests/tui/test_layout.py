"""The views get the room: whole at 120x40 without zooming, usable with one key at 80x24, the lesson a key away."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import DataTable

from babytui.tui.app import BabytuiApp
from babytui.tui.widgets.lesson_pane import LessonPane
from babytui.tui.widgets.output_area import OutputArea
from babytui.tui.widgets.prediction_grid import PredictionGrid
from babytui.tui.widgets.settings_form import SettingsForm
from babytui.tui.widgets.workspace import Workspace
from fixed_events import CLASSES, injected_events
from tui_helpers import go_to, ready, set_field, wait_until


def screen_lines(app: BabytuiApp) -> list[str]:
    """The screen as plain text, line by line."""
    console = Console(width=app.size.width, file=io.StringIO(), record=True, color_system=None)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text().splitlines()


async def lesson_14_shown(pilot) -> None:
    """Lesson 14 with two epochs of a run in every view."""
    await ready(pilot)
    await go_to(pilot, 14)
    for event in injected_events():
        pilot.app.main.handle_event(event)
    await pilot.pause()


def confusion_fits(lines: list[str]) -> bool:
    """All ten rows of the confusion matrix are on screen, each with its accuracy."""
    rows = [line for line in lines if any(f"│ {name:<10} " in line or f" {name:<10} " in line for name in CLASSES)]
    return len(rows) == 10 and all("%" in row for row in rows) and any("accuracy" in line for line in lines)


def grad_norms_fit(app: BabytuiApp, lines: list[str]) -> bool:
    """Every column of the weights table, the gradient norm the last, is on screen."""
    table = app.query_one("#weights-table", DataTable)
    width = sum(column.get_render_width(table) for column in table.columns.values())
    return any("grad norm" in line for line in lines) and width <= table.region.width and table.row_count == 8


async def test_at_120x40_every_view_shows_its_whole_content_without_zooming() -> None:
    app = BabytuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await lesson_14_shown(pilot)
        await pilot.press("5")
        await pilot.pause()
        assert confusion_fits(screen_lines(app))
        await pilot.press("3")
        await pilot.pause(0.6)
        assert grad_norms_fit(app, screen_lines(app))
        await pilot.press("4")
        await pilot.pause()
        grid = app.query_one(PredictionGrid)
        across, down = grid.grid_shape
        assert down >= 3 and across >= 5
        assert sum(1 for line in screen_lines(app) if "✓" in line or "✗" in line) >= 3  # three rows of captions
        assert app.screen.maximized is None


async def test_at_80x24_every_view_is_usable_with_one_key() -> None:
    app = BabytuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await lesson_14_shown(pilot)
        await pilot.press("5", "z")  # the confusion matrix, zoomed: every row with its accuracy
        await pilot.pause()
        assert confusion_fits(screen_lines(app))
        await pilot.press("3")  # zoomed still: the weights table whole
        await pilot.pause(0.6)
        assert grad_norms_fit(app, screen_lines(app))
        await pilot.press("4")
        await pilot.pause()
        assert app.query_one(PredictionGrid).per_page >= 4
        await pilot.press("z")
        await pilot.press("0")  # one key back to the lesson and its settings
        await pilot.pause()
        lines = screen_lines(app)
        assert any("14. All together" in line for line in lines) and any("conv1" in line for line in lines)
        assert app.query_one(SettingsForm).has_focus


async def test_the_lesson_page_is_one_key_away_while_a_run_goes_on(tiny_images) -> None:
    app = BabytuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await go_to(pilot, 14)
        await set_field(pilot, "epochs", "1000")
        workspace = app.query_one(Workspace)
        assert workspace.lesson_page_shown and app.query_one(LessonPane).region.width > 40
        await pilot.press("r")  # the views come to the front
        await pilot.pause()
        assert not workspace.lesson_page_shown and app.query_one(OutputArea).region.height >= 36
        await pilot.press("0")
        await pilot.pause()
        assert workspace.lesson_page_shown and app.query_one(SettingsForm).region.height > 10
        assert app.main.running_lesson == 14
        await pilot.press("x")
        await wait_until(pilot, lambda: app.main.running_lesson is None, 30)


async def test_a_wide_screen_shows_the_lesson_beside_the_views() -> None:
    app = BabytuiApp()
    async with app.run_test(size=(200, 60)) as pilot:
        await lesson_14_shown(pilot)
        workspace = app.query_one(Workspace)
        assert workspace.wide and workspace.has_class("-side-by-side")
        await pilot.press("5")
        await pilot.pause()
        lesson, views = app.query_one("#lesson-page").region, app.query_one(OutputArea).region
        assert lesson.width > 50 and views.x >= lesson.right and views.width >= 96
        assert confusion_fits(screen_lines(app))
        await pilot.resize_terminal(120, 40)  # narrower: one at a time again
        await pilot.pause()
        assert not workspace.wide and not workspace.lesson_page_shown

"""Names from disk in the app: a damaged run is listed with its reason, and no name is read as markup."""

from __future__ import annotations

import json
import os

import torch
from textual.widgets import DataTable

from babytui.core.runs import RunStore
from babytui.tui.app import BabytuiApp
from babytui.tui.screens.runs import RunsScreen
from babytui.tui.widgets.confusion_matrix import confusion_lines
from babytui.tui.widgets.prediction_grid import PredictionGrid

from test_runs_screen import saved_stopped_run
from tui_helpers import notifications, ready, wait_until

torch.set_num_threads(1)


async def test_a_damaged_run_and_a_run_named_like_markup_are_listed(tiny_images) -> None:
    good, _, _ = saved_stopped_run(stop_at=4)
    bad, _, _ = saved_stopped_run(stop_at=6)
    (bad.path / "settings.json").write_text(json.dumps({"format": 1, "lesson": 12, "settings": [1, 2]}))
    odd_id = "20260101-000000-l12-[@click=app.quit]q[red]\x1b[31m"
    os.rename(good.path, good.path.with_name(odd_id))
    app = BabytuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, RunsScreen) and len(app.screen.rows) == 2)
        table = app.screen.query_one(DataTable)
        cells = {key.value: [str(c) for c in table.get_row(key)] for key in table.rows}
        assert cells[bad.id][1] == "unreadable"
        assert "20260101-000000-l12-[@click=app.quit]q[red]\\x1b[31m" in cells[odd_id]  # shown as it is, escaped
        table.move_cursor(row=table.get_row_index(bad.id))
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("its settings is" in m for m in notifications(app)))
        table.move_cursor(row=table.get_row_index(odd_id))
        await pilot.press("d")
        await pilot.press("y")
        await wait_until(pilot, lambda: list(app.screen.rows) == [bad.id])
    assert [r.id for r in RunStore().runs()] == [bad.id]


def test_class_names_from_folders_are_escaped_in_the_views() -> None:
    lines = confusion_lines(((1, 0), (0, 1)), ("cat\x1b[2J", "dog\nrow"), (0, 0, 0), (255, 255, 255))
    text = "\n".join(line.plain for line in lines)
    assert "\x1b" not in text and "dog\nrow" not in text and "\\x1b" in text
    grid = PredictionGrid()
    grid.class_names = ("cat\x1b[2J", "dog")
    assert grid.class_name(0) == "cat\\x1b[2J"

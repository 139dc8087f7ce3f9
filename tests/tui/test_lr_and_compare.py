"""The lr in the app (the range test, the schedule drawn before a run, the lr changed while it runs)
and comparing runs (the saved ghost, any number of runs marked, the table of what differs)."""

from __future__ import annotations

import threading

import torch
from textual.widgets import DataTable, Input

from babytui.core.lessons import get_lesson
from babytui.core.runs import RunStore
from babytui.core.session import Session
from babytui.tui.app import BabytuiApp
from babytui.tui.screens import runs as runs_screen
from babytui.tui.screens.runs import RunsScreen
from babytui.tui.widgets.loss_plot import LossPlot
from babytui.tui.widgets.run_comparison import RunComparison
from babytui.tui.widgets.settings_form import SettingsForm
from babytui.tui.widgets.sidebar import LessonSidebar
from babytui.tui.widgets.status_line import StatusLine

from tui_helpers import go_to, notifications, ready, set_field, tiny_image_data, type_into, wait_until

SIZE = (120, 40)

torch.set_num_threads(1)


def form_value(app, name: str) -> str:
    return app.query_one(SettingsForm).values()[name]


async def test_the_range_test_runs_in_the_app_and_u_puts_its_suggestion_in_the_form(tiny_images, monkeypatch) -> None:
    monkeypatch.setattr("babytui.core.lr_range.suggest", lambda lrs, smoothed: (0.0123, 0.05))
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 17)
        for name, text in (("range_steps", "30"), ("validation_size", "8"), ("batch_size", "4")):
            await set_field(pilot, name, text)
        await pilot.press("t")
        plot = app.query_one(LossPlot)
        await wait_until(pilot, lambda: plot.range is not None and plot.range.done, timeout=60)
        assert len(plot.range.lrs) == 30 and plot.range.suggestion == 0.0123
        assert app.query_one(StatusLine).state == "range test done"
        await wait_until(pilot, lambda: app.main.running_lesson is None)
        assert any("Suggested lr 0.0123" in n for n in notifications(app))
        assert "suggested lr 0.0123" in plot.summary().plain
        assert RunStore().runs() == []  # a range test is not saved as a run
        await pilot.press("u")
        await wait_until(pilot, lambda: form_value(app, "lr") == "0.0123")


async def test_the_schedule_is_drawn_before_a_run_and_follows_the_form() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 17)
        plot = app.query_one(LossPlot)
        await wait_until(pilot, lambda: plot.mode == "plan")
        what, epochs, lrs = plot.plan
        assert "onecycle" in what and epochs[-1] == 5 and abs(max(lrs) - 0.05) < 1e-4
        assert lrs[0] < 0.05 / 20 and lrs.index(max(lrs)) < len(lrs) / 2  # warms up, then comes down
        app.query_one(SettingsForm).set_value("schedule", "constant")
        await wait_until(pilot, lambda: plot.mode != "plan")


async def test_plus_minus_and_the_lr_field_change_the_lr_of_a_running_run(tiny_images) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 14)
        await set_field(pilot, "epochs", "1000")
        await pilot.press("r")
        status = app.query_one(StatusLine)
        await wait_until(pilot, lambda: status.step > 3)
        plot = app.query_one(LossPlot)
        await pilot.press("plus")
        await wait_until(pilot, lambda: len(plot.history.lr_marks) == 1)
        assert plot.history.lr_marks[0][1] == 0.02
        await wait_until(pilot, lambda: form_value(app, "lr") == "0.02" and status.lr == "lr 0.02")
        await pilot.press("minus", "minus")  # quartered, whether one batch or two come between the keys
        await wait_until(pilot, lambda: plot.history.lr_marks[-1][1] == 0.005)
        await type_into(pilot, "lr", "0.003")
        await pilot.press("enter")
        await wait_until(pilot, lambda: [lr for _, lr in plot.history.lr_marks][-1] == 0.003)
        app.query_one(LessonSidebar).focus()
        await pilot.press("x")
        await wait_until(pilot, lambda: app.main.running_lesson is None, timeout=20)
    (run,) = RunStore().runs()
    changes = run.metrics().lr_changes
    assert [c["lr"] for c in changes][0] == 0.02 and changes[-1]["lr"] == 0.003
    assert [c["step"] for c in changes] == sorted(c["step"] for c in changes)


async def test_plus_says_what_it_is_for_when_nothing_runs() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("plus")
        await wait_until(pilot, lambda: any("change the lr of an image lesson while it runs" in n for n in notifications(app)))


def saved_run(number: int, **values) -> str:
    """A finished run of a lesson on tiny images, saved; its id."""
    lesson = get_lesson(number)
    base = {"epochs": "2", "hidden": "8", "device": "cpu", "batch_size": "4", "dataset": "shapes"}
    if "validation_size" in lesson.fields:
        base["validation_size"] = "8"
    session = Session(lesson, lesson.settings({**base, **values}), data=tiny_image_data())
    list(session.events())
    return session.run_id


async def test_the_ghost_is_the_last_saved_run_so_it_survives_a_restart() -> None:
    older = saved_run(12)
    newer = saved_run(12, lr="0.05")
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 12)
        plot = app.query_one(LossPlot)
        await wait_until(pilot, lambda: plot.ghost is not None)
        assert plot.ghost_label == f"previous run {newer}" and older not in plot.ghost_label
        steps, _ = plot.ghost
        assert steps[-1] == 2 * 16  # its every step, down-sampled
        app.main.reset_lesson(12)  # reset forgets the ghost too
        await pilot.pause()
        assert plot.ghost is None


async def test_three_runs_compared_side_by_side_reading_metrics_off_the_interface_thread(monkeypatch) -> None:
    ids = [saved_run(16), saved_run(16, momentum="0"), saved_run(16, optimizer="adam", lr="0.001")]
    threads: list[str] = []
    real = runs_screen.read_series

    def watched(run):
        threads.append(threading.current_thread().name)
        return real(run)

    monkeypatch.setattr(runs_screen, "read_series", watched)
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, RunsScreen) and len(app.screen.rows) == 3)
        screen = app.screen
        for _ in range(3):
            await pilot.press("space", "down")
        comparison = screen.query_one(RunComparison)
        await wait_until(pilot, lambda: comparison.comparison is not None and len(comparison.comparison.runs) == 3)
        assert set(comparison.comparison.differing) == {"lr", "optimizer", "momentum"}
        labels = [str(comparison.get_row_at(i)[0]) for i in range(comparison.row_count)]
        assert labels[:3] == ["learning rate", "optimizer", "momentum"] and "validation accuracy" in labels
        assert screen.plotted == tuple(reversed(ids))  # newest first, all three overlaid
        await wait_until(pilot, lambda: all(i in screen._series for i in ids))
        assert threads and "MainThread" not in threads
        table = screen.query_one(DataTable)
        assert str(table.get_cell(ids[0], "mark")) == "[3]"
        await pilot.press("a")
        assert screen.metric == "test_accuracy"
        await pilot.press("x", "x")
        assert screen.x_axis == "time"
        await pilot.press("m")
        assert screen.smoothing == 0.0
        await pilot.press("c")  # the table out of the way, on a small terminal
        assert not comparison.display and comparison.comparison is not None
        await pilot.press("c")
        assert comparison.display
        await pilot.press("up", "space")  # unmark one: two left, still compared
        await wait_until(pilot, lambda: comparison.comparison is not None and len(comparison.comparison.runs) == 2)
        await pilot.press("up", "space")
        await wait_until(pilot, lambda: not comparison.display)  # one marked: nothing to compare

"""Runs in the app: saved as they train, kept on quit, listed, compared and resumed from the runs screen."""

from __future__ import annotations

import time

import torch
from textual.widgets import DataTable

from babytui.core.events import Finished
from babytui.core.lessons import get_lesson
from babytui.core.runs import Recorder, RunStore
from babytui.core.train import Control, train
from babytui.tui.app import BabytuiApp
from babytui.tui.screens.runs import RunsScreen
from babytui.tui.widgets.loss_plot import LossPlot
from babytui.tui.widgets.sidebar import LessonSidebar
from babytui.tui.widgets.status_line import StatusLine

from tui_helpers import go_to, log_text, notifications, ready, run_lesson, tiny_image_data, type_into, wait_until

SIZE = (100, 32)

torch.set_num_threads(1)


def saved_stopped_run(lesson_number: int = 12, stop_at: int = 6, epochs: int = 2):
    """A run of a lesson on the tiny images, stopped after `stop_at` updates and saved."""
    lesson = get_lesson(lesson_number)
    settings = lesson.settings({"epochs": epochs, "hidden": 8, "device": "cpu", "dataset": "shapes"})
    recorder = Recorder.new(lesson, settings)
    control = Control()
    control.step(stop_at)
    try:
        for event in train(lesson, settings, control=control, data=tiny_image_data(), checkpoints=True):
            recorder(event)
            if type(event).__name__ == "StepLogged" and event.step >= stop_at:
                control.stop()
    finally:
        recorder.close()
    return recorder.run, lesson, settings


async def test_quitting_mid_run_saves_a_resumable_run(tiny_images) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 12)
        await type_into(pilot, "epochs", "1000")
        app.query_one(LessonSidebar).focus()
        await pilot.press("r")
        await wait_until(pilot, lambda: app.query_one(StatusLine).step > 20)
        await pilot.press("q")
    (run,) = RunStore().runs()
    deadline = time.monotonic() + 10
    while run.is_running() and time.monotonic() < deadline:  # quit waits 2 s; a loaded machine may need more
        time.sleep(0.05)
    row = run.summary()
    assert row.lesson == 12 and row.status == "stopped" and row.resumable and row.steps > 20
    assert row.changed == {"epochs": "1000"}
    _, lesson, settings, state = RunStore().resume_info(run.id)
    assert state["step"] == row.steps  # the checkpoint written on quit has every update
    control = Control()
    events = train(lesson, settings, control=control, data=tiny_images, resume=state)
    for event in events:
        if type(event).__name__ == "StepLogged":
            assert event.step > row.steps  # it goes on where it stopped
            control.stop()
        if isinstance(event, Finished):
            assert event.stopped and event.steps > row.steps


async def test_runs_screen_lists_compares_and_resumes(tiny_images) -> None:
    first, lesson, settings = saved_stopped_run(stop_at=6)
    second, _, _ = saved_stopped_run(stop_at=20)
    app = BabytuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, RunsScreen) and len(app.screen.rows) == 2)
        screen = app.screen
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        assert screen.highlighted == second.id  # newest first
        assert screen.plotted == (second.id,)  # nothing marked: the plot follows the cursor
        await pilot.press("space")
        await pilot.press("down")
        await pilot.press("space")
        await pilot.pause()
        assert screen.marked == [second.id, first.id] and screen.plotted == (second.id, first.id)
        assert str(table.get_cell(first.id, "mark")) == "[2]"
        await pilot.press("space")  # unmark
        assert screen.marked == [second.id]
        await pilot.press("enter")  # resume the first run
        await wait_until(pilot, lambda: not isinstance(app.screen, RunsScreen))
        await wait_until(pilot, lambda: any("Resuming run" in m for m in notifications(app)))
        assert app.main.lesson.number == 12 and app.main.values[12]["epochs"] == "2"
        await wait_until(pilot, lambda: app.main.running_lesson is None and first.summary().status == "finished", timeout=30)
        assert not [m for m in notifications(app) if "Cannot" in m]
        # the loss plot shows the whole run: the 6 steps before the checkpoint, read back, then the rest
        history = app.query_one(LossPlot).history
        assert list(history.steps.values) == list(range(1, 33))
    row = first.summary()
    assert row.status == "finished" and row.steps == 2 * 16
    assert [s for s, _ in first.metrics().losses] == list(range(1, 33))
    assert len(RunStore().runs()) == 2  # resumed into its own folder


async def test_runs_screen_says_why_a_run_cannot_be_resumed(tiny_images) -> None:
    run, _, _ = saved_stopped_run(stop_at=6)
    (run.path / "checkpoint.pt").write_bytes(b"not a checkpoint")
    app = BabytuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.rows)
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("damaged" in m for m in notifications(app)))
        assert app.main.running_lesson is None
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, RunsScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, RunsScreen))


async def test_runs_screen_when_there_are_none() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, RunsScreen))
        await wait_until(pilot, lambda: "No runs saved yet" in str(app.screen.query_one("#runs-help").render()))
        await pilot.press("enter")  # nothing to resume: nothing happens
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, RunsScreen))


async def test_a_run_that_cannot_be_saved_still_trains(monkeypatch) -> None:
    from babytui.core.errors import RunError

    def refuse(self, lesson, settings):
        raise RunError("cannot save runs in /nowhere: Read-only file system")

    monkeypatch.setattr(RunStore, "create", refuse)
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await run_lesson(pilot, 8)
        await wait_until(pilot, lambda: app.query_one(LessonSidebar).item(8).mark == "✓")
        assert "Read-only file system" in log_text(app) and "training goes on" in log_text(app)


async def test_a_run_is_deleted_from_the_runs_screen_only_after_a_yes() -> None:
    from babytui.tui.screens.confirm import ConfirmScreen

    keep, _, _ = saved_stopped_run(stop_at=4)
    doomed, _, _ = saved_stopped_run(stop_at=6)
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("R")
        screen = app.screen
        await wait_until(pilot, lambda: len(screen.rows) == 2)
        table = screen.query_one(DataTable)
        table.move_cursor(row=table.get_row_index(doomed.id))
        await wait_until(pilot, lambda: screen.highlighted == doomed.id)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert doomed.id in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("n")  # no: nothing happens
        await wait_until(pilot, lambda: app.screen is screen)
        assert doomed.path.exists()
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: list(screen.rows) == [keep.id])
        assert not doomed.path.exists() and keep.path.exists()
        assert any(f"Deleted run {doomed.id}" in n for n in notifications(app))
    assert [r.id for r in RunStore().runs()] == [keep.id]


async def test_the_runs_table_shows_marks_and_dates_and_end_goes_to_the_last_run(tiny_images) -> None:
    runs = [saved_stopped_run(stop_at=n)[0] for n in (2, 3, 4)]
    app = BabytuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("R")
        screen = app.screen
        await wait_until(pilot, lambda: len(screen.rows) == 3)
        table = screen.query_one(DataTable)
        await pilot.press("space")
        await pilot.pause()
        marked = table.get_row_index(runs[-1].id)
        assert str(table.get_row_at(marked)[0]) == "[1]" and table.columns["mark"].width >= 3  # the mark shows
        widths = [column.get_render_width(table) for column in table.columns.values()]
        keys = [str(key.value) for key in table.columns]
        assert sum(widths[: keys.index("date") + 1]) <= table.size.width  # the date is not cut
        await pilot.press("end")
        await pilot.pause()
        assert screen.highlighted == runs[0].id and table.scroll_x == 0  # the oldest run, not the right edge
        await pilot.press("home")
        await pilot.pause()
        assert screen.highlighted == runs[-1].id
        shown = {binding.binding.action for binding in app.active_bindings.values() if binding.binding.show}
        assert {"close", "mark", "resume", "delete"} <= shown and not shown & {"run", "step", "stop", "cycle_device"}

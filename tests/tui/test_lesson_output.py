"""Each lesson shows its own output; the log wraps to the room it has; the status line and sidebar say what is true."""

from __future__ import annotations

from textual.widgets import DataTable

from babytui.core.events import RunStarted
from babytui.tui.app import BabytuiApp
from babytui.tui.widgets.loss_plot import LossPlot
from babytui.tui.widgets.notebook_log import NotebookLog
from babytui.tui.widgets.sidebar import LessonSidebar
from babytui.tui.widgets.status_line import StatusLine
from babytui.tui.widgets.weight_inspector import WeightInspector
from fixed_events import injected_events
from tui_helpers import go_to, log_text, ready, run_lesson, set_field, wait_until

SIZE = (120, 40)


async def test_each_lesson_shows_its_own_last_output() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await run_lesson(pilot, 1)
        await wait_until(pilot, lambda: "y = x1" in log_text(app), 30)
        await go_to(pilot, 14)
        for event in injected_events():  # a lesson 14 run, as its events come
            app.main.handle_event(event)
        await go_to(pilot, 5)
        assert log_text(app) == ""  # not lesson 1's log
        await pilot.press("3")
        await pilot.pause(0.6)
        inspector = app.query_one(WeightInspector)
        assert inspector.snapshot is None and not app.query_one("#weights-table", DataTable).display
        await go_to(pilot, 10)
        assert inspector.snapshot is None  # not lesson 14's fc1.weight
        await go_to(pilot, 14)
        await wait_until(pilot, lambda: app.query_one("#weights-table", DataTable).row_count == 8)
        assert len(app.query_one(LossPlot).history) == 1000
        await go_to(pilot, 1)
        assert "x1 = torch.tensor(x)" in log_text(app) and "lesson 1 on cpu" in log_text(app)


async def test_the_previous_run_stays_the_ghost_of_its_own_lesson(tiny_images) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 12)
        await set_field(pilot, "epochs", "1")
        for _ in range(2):
            await pilot.press("r")
            await wait_until(pilot, lambda: app.main.running_lesson is None and app.query_one(StatusLine).step == 16, 30)
        plot = app.query_one(LossPlot)
        assert plot.ghost is not None and len(plot.ghost[0]) == 16
        await go_to(pilot, 8)
        assert plot.ghost is None and len(plot.history) == 0
        await go_to(pilot, 12)
        assert plot.ghost is not None and len(plot.ghost[0]) == 16 and len(plot.history) == 16


async def test_log_lines_wrap_to_the_width_the_log_has_now() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 8)
        await pilot.press("3")  # another view in front while the run writes its log
        await pilot.press("r")
        await wait_until(pilot, lambda: app.query_one(LessonSidebar).item(8).mark == "✓", 30)
        log = app.query_one(NotebookLog)
        long_line = "lesson 8 on cpu: 3 epochs, 3 updates, 13 parameters"
        await pilot.press("1")
        await pilot.pause()
        assert log.lines[0].text.rstrip() == long_line  # written while hidden, wrapped once shown
        await pilot.press("z")  # zoomed: still one line; narrower: wrapped again
        await pilot.pause()
        assert log.lines[0].text.rstrip() == long_line
        await pilot.resize_terminal(60, 24)
        await pilot.pause()
        width = log.scrollable_content_region.width
        assert all(len(line.text.rstrip()) <= width for line in log.lines)
        assert " ".join(line.text.strip() for line in log.lines[:2]).startswith(long_line)


async def test_the_status_line_and_sidebar_never_show_an_older_runs_state(tiny_images, monkeypatch) -> None:
    from babytui.core.errors import DataError

    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 12)
        await set_field(pilot, "epochs", "1")
        await pilot.press("r")
        status = app.query_one(StatusLine)
        await wait_until(pilot, lambda: app.main.running_lesson is None and status.step == 16, 30)
        assert "step 16/16" in str(status.render())

        def no_data(*args, **kwargs):
            raise DataError("no CIFAR-10 in /nowhere")

        monkeypatch.setattr("babytui.core.datasets.load_images", no_data)
        await pilot.press("r")
        await wait_until(pilot, lambda: app.main.running_lesson is None and status.state == "failed", 30)
        assert "step" not in str(status.render()) and status.step == 0  # not the last run's progress
        item = app.query_one(LessonSidebar).item(12)
        assert item.mark == "✗"
        monkeypatch.undo()
        monkeypatch.setattr("babytui.core.datasets.load_images", lambda dataset, root, device, **o: tiny_images.to(device))
        await set_field(pilot, "epochs", "1000")
        await pilot.press("r")
        await wait_until(pilot, lambda: status.step > 0, 30)
        assert item.mark == "▶" and item.result == "running"  # not "failed" while a new run goes
        await pilot.press("x")
        await wait_until(pilot, lambda: app.main.running_lesson is None, 30)
        assert item.mark == "•" and item.result.startswith("acc")


def test_the_log_counts_in_words() -> None:
    from babytui.tui.widgets.notebook_log import NotebookLog

    log = NotebookLog()
    log.add = log.entries.append  # no app: keep the lines unwrapped
    log._colour = lambda name: ""
    log.handle_event(RunStarted(6, "cpu", 1, 1, 1, 5))
    assert log.entries[0].plain == "lesson 6 on cpu: 1 epoch, 1 update, 5 parameters"

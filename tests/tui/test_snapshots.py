"""SVG snapshots of fixed states, one class per feature; never a live run (timings vary)."""

from __future__ import annotations


from babytui.tui.app import BabytuiApp
from babytui.tui.controller import RunController
from babytui.tui.widgets.sidebar import LessonSidebar
from fixed_events import lesson_8_events
from tui_helpers import go_to, ready

SIZE = (100, 32)


class TestStart:
    """The app as it opens."""

    def test_lesson_1_at_start(self, snap_compare, fixed_code) -> None:
        async def run_before(pilot) -> None:
            await ready(pilot)

        assert snap_compare(BabytuiApp(), terminal_size=SIZE, run_before=run_before)


class TestRun:
    """A run's result in the sidebar, the log and the status line."""

    def test_lesson_8_after_a_finished_run(self, snap_compare, fixed_code) -> None:
        events = lesson_8_events()

        async def run_before(pilot) -> None:
            await ready(pilot)
            await go_to(pilot, 8)
            for event in events:
                pilot.app.main.handle_event(event)
            pilot.app.main.post_message(RunController.Ended(8))
            await pilot.press("1")  # the log in front, as after a run
            await pilot.pause(0.2)

        assert snap_compare(BabytuiApp(), terminal_size=SIZE, run_before=run_before)


class TestValidation:
    """A bad value explained under its field, run blocked."""

    def test_bad_learning_rate(self, snap_compare, fixed_code) -> None:
        async def run_before(pilot) -> None:
            await ready(pilot)
            await go_to(pilot, 5)
            pilot.app.query_one("#field-lr").value = "abc"
            pilot.app.query_one(LessonSidebar).focus()
            await pilot.pause()
            await pilot.press("f5")
            await pilot.pause()

        assert snap_compare(BabytuiApp(), terminal_size=SIZE, run_before=run_before)


class TestHelp:
    """The help screen."""

    def test_help_screen(self, snap_compare, fixed_code) -> None:
        async def run_before(pilot) -> None:
            await ready(pilot)
            await pilot.press("question_mark")
            await pilot.pause()

        assert snap_compare(BabytuiApp(), terminal_size=SIZE, run_before=run_before)

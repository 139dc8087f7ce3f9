"""The settings form lets the keys go; the data root is checked as typed; lesson 7's switch; reset asks first."""

from __future__ import annotations

from textual.widgets import Input, Label, Select

from babytui.core.lessons import LESSONS
from babytui.tui.app import BabytuiApp
from babytui.tui.screens.confirm import ConfirmScreen
from babytui.tui.widgets.loss_plot import LossPlot
from babytui.tui.widgets.output_area import OutputArea
from babytui.tui.widgets.settings_form import SettingsForm
from babytui.tui.widgets.sidebar import LessonSidebar
from babytui.tui.widgets.status_line import StatusLine
from tui_helpers import go_to, log_text, ready, set_field, type_into, wait_until

SIZE = (120, 40)


async def test_escape_or_enter_leaves_a_field_and_the_keys_work_again(tiny_images) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 14)
        await type_into(pilot, "epochs", "1000")
        form = app.query_one(SettingsForm)
        field = app.query_one("#field-epochs", Input)
        await pilot.press("f5")  # run from inside the field: the views come to the front, with the keys
        status = app.query_one(StatusLine)
        await wait_until(pilot, lambda: status.step > 0, 30)
        assert not field.has_focus and app.query_one(OutputArea).active == "tab-log"
        await pilot.press("0")  # the lesson page again, the keyboard on the form
        await pilot.press("enter")  # back into the field edited last
        assert field.has_focus
        await pilot.press("1", "2", "p", "s")  # a field takes them all (its text was selected)...
        assert field.value == "12ps" and app.main.control.paused is False
        await pilot.press("escape")  # ...until escape leaves it: the form has the keys, the run goes on
        assert form.has_focus and app.main.running_lesson == 14 and not app.main.control.stopped
        field.value = "1000"
        await pilot.press("p")
        assert app.main.control.paused and status.state == "paused"
        await pilot.press("s")
        await pilot.press("2")
        assert app.query_one(OutputArea).active == "tab-loss"
        await pilot.press("0", "enter")
        assert field.has_focus
        await pilot.press("enter")  # enter leaves a field too
        assert form.has_focus
        await pilot.press("enter")
        await pilot.press("f6")  # from inside a field: F6 pauses and resumes, alt+3 shows the weights
        assert not app.main.control.paused
        await pilot.press("alt+3")
        assert app.query_one(OutputArea).active == "tab-weights"
        await pilot.press("x")
        await wait_until(pilot, lambda: app.main.running_lesson is None, 30)


async def test_the_footer_says_pause_or_resume_as_it_is(tiny_images) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 14)

        def shown() -> set[str]:
            return {b.binding.description for b in app.active_bindings.values() if b.binding.show and b.enabled}

        assert "Resume" not in shown() and "Pause" not in shown()
        await set_field(pilot, "epochs", "1000")
        app.main.query_one(LessonSidebar).focus()
        await pilot.press("s")  # a run that waits after one step
        await wait_until(pilot, lambda: app.query_one(StatusLine).step == 1, 30)
        await pilot.pause()
        assert "Resume" in shown() and "Pause" not in shown()
        await pilot.press("p")
        await pilot.pause()
        assert "Pause" in shown() and "Resume" not in shown()
        await pilot.press("x")
        await wait_until(pilot, lambda: app.main.running_lesson is None, 30)


async def test_the_data_root_is_checked_as_typed(tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("not a folder")
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 11)
        await type_into(pilot, "data_root", str(tmp_path / "notes.txt"))
        error = app.query_one("#error-data_root", Label)
        await wait_until(pilot, lambda: error.display)
        assert str(error.render()) == f"{tmp_path / 'notes.txt'} is a file, not a folder"
        assert app.query_one("#button-run").disabled
        await type_into(pilot, "data_root", str(tmp_path))
        await wait_until(pilot, lambda: not error.display)


async def test_lesson_7_switches_the_tutorials_broadcast_and_the_log_shows_the_grid() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 7)
        app.query_one("#field-flat_targets", Select).value = "yes"
        await wait_until(pilot, lambda: "broadcasts to (B, B)" in app.main.query_one("LessonPane").code)
        app.query_one(LessonSidebar).focus()
        await pilot.press("r")
        await wait_until(pilot, lambda: app.query_one(LessonSidebar).item(7).mark == "✓", 30)
        text = log_text(app)
        assert "the loss of update 1: outputs (2, 1) against targets (2,)" in text and "shape (2, 2)" in text
        assert "MSELoss averaged all 4 squared differences" in text


async def test_reset_asks_then_forgets_the_output_and_the_ghost() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 8)
        item = app.query_one(LessonSidebar).item(8)
        for _ in range(2):
            await pilot.press("r")
            await wait_until(pilot, lambda: item.mark == "✓" and app.main.running_lesson is None, 30)
        plot = app.query_one(LossPlot)
        assert plot.ghost is not None
        await pilot.press("0")  # next to the tab keys: not a reset any more
        assert item.mark == "✓" and not isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")  # no
        await pilot.pause()
        assert item.mark == "✓" and plot.ghost is not None
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await pilot.pause()
        assert item.mark == " " and item.result == "" and log_text(app) == ""
        assert plot.ghost is None and len(plot.history) == 0
        await pilot.press("r")  # the next run has no ghost to compare with
        await wait_until(pilot, lambda: item.mark == "✓" and app.main.running_lesson is None, 30)
        assert plot.ghost is None


async def test_the_palette_lists_the_lessons_in_the_course_order() -> None:
    from textual.system_commands import SystemCommandsProvider

    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        provider = SystemCommandsProvider(app.screen)
        titles = [str(hit.display) async for hit in provider.discover()]
        lessons = [t for t in titles if t.startswith("Lesson ") and ":" in t]
        assert [int(t.split(":")[0].split()[1]) for t in lessons] == list(range(1, len(LESSONS) + 1))


async def test_enter_on_a_lesson_opens_its_settings() -> None:
    app = BabytuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("down", "down")
        await wait_until(pilot, lambda: app.main.lesson.number == 3)
        await pilot.press("1")  # a view in front: enter brings the lesson page back
        app.query_one(LessonSidebar).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.query_one("#field-x", Input).has_focus)
        assert app.query_one(OutputArea).active == "tab-lesson" and app.main.lesson.number == 3

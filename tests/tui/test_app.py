"""The app driven by the pilot: lessons, validation, runs, pause/step/stop, quit, resize."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import torch
from textual.widgets import Button, Label, Select

from babytui.core.lessons import LESSONS
from babytui.core.runs import RunStore
from babytui.core.settings import DATASETS
from babytui.tui.app import BabytuiApp
from babytui.tui.screens.confirm import ConfirmScreen
from babytui.tui.screens.help import HelpScreen
from babytui.tui.widgets.lesson_pane import LessonPane
from babytui.tui.widgets.settings_form import SettingsForm
from babytui.tui.widgets.sidebar import LessonSidebar
from babytui.tui.widgets.status_line import StatusLine

from tui_helpers import go_to, log_text, notifications, ready, run_lesson, tiny_image_data, type_into, wait_until

SIZE = (100, 32)


def pane_title(app: BabytuiApp) -> str:
    """The lesson pane's title line."""
    return str(app.query_one("#lesson-title").render())


async def test_moves_through_every_lesson() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert pane_title(app) == "1. Tensors, and y = x"
        for lesson in LESSONS[1:]:
            await pilot.press("down")
            await wait_until(pilot, lambda: app.main.lesson.number == lesson.number)
            await pilot.pause()
            assert pane_title(app) == f"{lesson.number}. {lesson.title}"
            shown = " ".join(str(app.query_one("#lesson-text").render()).split())
            assert shown == " ".join(lesson.text.split())
            assert set(app.query_one(SettingsForm).inputs) == set(lesson.fields)
        last = len(LESSONS)
        await pilot.press("down")  # stays on the last lesson
        await pilot.press("left_square_bracket")
        await wait_until(pilot, lambda: app.main.lesson.number == last - 1)
        await pilot.press("ctrl+up")
        await wait_until(pilot, lambda: app.main.lesson.number == last - 2)
        await pilot.press("right_square_bracket")
        await wait_until(pilot, lambda: app.main.lesson.number == last - 1)


async def test_lesson_text_and_code_follow_the_settings(fixed_code) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 5)
        assert "An optimizer turns gradients" in str(app.query_one("#lesson-text").render())
        assert "lr 0.1\n" in app.query_one(LessonPane).code + "\n"
        await type_into(pilot, "lr", "0.25")
        await wait_until(pilot, lambda: "lr 0.25" in app.query_one(LessonPane).code)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("abc", "'abc' is not a number"), ("-1", "must be greater than 0 (got -1)"), ("", "'' is not a number")],
)
async def test_a_bad_value_blocks_run_and_says_why(text: str, reason: str) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 5)
        run_button = app.query_one("#button-run", Button)
        assert not run_button.disabled
        await type_into(pilot, "lr", text, keys=True)
        error = app.query_one("#error-lr", Label)
        assert error.display and str(error.render()) == reason
        assert app.query_one("#field-lr").has_class("invalid")
        assert run_button.disabled
        await pilot.press("f5")
        await pilot.pause()
        assert app.main.running_lesson is None
        assert any(reason in message for message in notifications(app))
        await type_into(pilot, "lr", "0.1")
        assert not error.display and not run_button.disabled


async def test_a_folder_without_a_data_root_is_refused_until_one_is_typed(tmp_path) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 10)
        app.query_one(SettingsForm).set_value("dataset", "folder")
        await pilot.pause()
        error = app.query_one("#error-data_root", Label)
        await wait_until(pilot, lambda: error.display)
        assert "the folder dataset needs a data root" in str(error.render())
        assert app.query_one("#button-run", Button).disabled
        await type_into(pilot, "data_root", str(tmp_path / "pets"))  # checked on the disk as typed
        await wait_until(pilot, lambda: "does not exist" in str(error.render()))
        (tmp_path / "pets").mkdir()
        await type_into(pilot, "data_root", str(tmp_path / "pets") + "/")
        await wait_until(pilot, lambda: not error.display)
        assert not app.query_one("#button-run", Button).disabled


async def test_odd_input_never_crashes() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 8)
        for name, text in [("targets", "1, 2"), ("targets", "[[,]]"), ("epochs", "1e99"), ("hidden", "0"), ("seed", "-5"), ("lr", "nan")]:
            await type_into(pilot, name, text)
            assert app.query_one(f"#error-{name}", Label).display, (name, text)
            assert app.main.settings[8] is None
            await type_into(pilot, name, {"targets": "0, 1, 1, 0", "lr": "0.1"}.get(name, "2"))


async def test_lesson_8_runs_to_the_end_and_its_result_shows_in_the_sidebar() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 8)
        await pilot.press("f5")
        item = app.query_one(LessonSidebar).item(8)
        await wait_until(pilot, lambda: item.result.startswith("loss"), 30)
        await wait_until(pilot, lambda: app.main.running_lesson is None)
        assert item.mark == "✓"
        text = log_text(app)
        assert "should be getting closer to [0, 1, 1, 0]" in text
        assert "final loss on all samples" in text
        assert item.result == f"loss {float(text.split('final loss on all samples')[1].split()[0]):.4f}"
        await pilot.pause(0.1)
        status = app.query_one(StatusLine)
        assert (status.state, status.step, status.total) == ("done", 3, 3)
        # reset asks first; then it forgets the lesson's output and result
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "Forget lesson 8's output" in str(app.screen.question)
        await pilot.press("n")
        await pilot.pause()
        assert item.result.startswith("loss") and "final loss" in log_text(app)
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert item.result == "" and item.mark == " " and log_text(app) == ""


async def test_pause_step_and_stop_an_image_lesson(tiny_images, training_loop) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 14)
        await type_into(pilot, "epochs", "1000")
        app.query_one(LessonSidebar).focus()
        status = app.query_one(StatusLine)
        await pilot.press("s")  # idle: starts a run that does one batch and waits
        await wait_until(pilot, lambda: status.step == 1)
        await pilot.pause(0.3)
        assert status.step == 1 and app.main.control.paused and status.state == "paused"
        await pilot.press("s")
        await wait_until(pilot, lambda: status.step == 2)
        await pilot.pause(0.3)
        assert status.step == 2
        await pilot.press("p")  # resume
        await wait_until(pilot, lambda: status.step > 20)
        assert status.state == "running"
        await pilot.press("p")  # pause
        await pilot.pause(0.3)
        held = status.step
        await pilot.pause(0.3)
        assert status.step == held and status.state == "paused"
        assert app.query_one("#button-pause", Button).label.plain == "Resume"
        await pilot.press("x")
        await wait_until(pilot, lambda: app.main.running_lesson is None)
        item = app.query_one(LessonSidebar).item(14)
        assert item.mark == "•" and item.result.startswith("acc ")
        assert "stopped" in log_text(app)
        assert "ended" in training_loop


async def test_a_step_stays_paused_after_the_data_took_a_while(monkeypatch) -> None:
    from babytui.core.progress import LoadProgress

    data = tiny_image_data()

    def reading(dataset, root, device, *, progress=None, **options):
        progress(LoadProgress("reading images", 32, 96, 100.0, 0.3, "images"))
        time.sleep(0.2)
        return data.to(device)

    monkeypatch.setattr("babytui.core.datasets.load_images", reading)
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 14)
        app.query_one(LessonSidebar).focus()
        status = app.query_one(StatusLine)
        await pilot.press("s")
        await wait_until(pilot, lambda: status.step == 1)
        await pilot.pause(0.3)
        assert app.main.control.paused and status.state == "paused" and "paused" in status_text(app)
        await pilot.press("x")
        await wait_until(pilot, lambda: app.main.running_lesson is None)


async def test_quitting_mid_run_ends_the_worker(tiny_images, training_loop) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 14)
        await type_into(pilot, "epochs", "1000")
        app.query_one(LessonSidebar).focus()
        await pilot.press("r")
        await wait_until(pilot, lambda: app.query_one(StatusLine).step > 0)
        assert "ended" not in training_loop
        await pilot.press("q")
        quit_at = time.monotonic()
    while "ended" not in training_loop and time.monotonic() < quit_at + 2:
        time.sleep(0.02)
    assert training_loop["ended"] - quit_at < 2
    [run] = RunStore().summaries()  # saved where it stopped, ready to go on
    assert run.status == "stopped" and run.resumable and run.steps > 0


def status_text(app: BabytuiApp) -> str:
    """The status line as plain text."""
    return str(app.query_one(StatusLine).render())


@pytest.mark.parametrize(
    "title, unit, total, shown",
    [("downloading CIFAR-10", "bytes", 170_000_000, " of 170.0 MB"), ("reading images", "images", 60_000, "of 60,000 images")],
)
async def test_loading_data_shows_in_the_status_line_and_stop_ends_it(monkeypatch, title, unit, total, shown) -> None:
    from babytui.core.progress import LoadProgress

    def loading(dataset, root, device, *, progress=None, **options):
        """Loading that only the app's stop ends."""
        for step in range(1, 500):
            done = step * total // 1000
            progress(LoadProgress(title, done, total, done / (step / 10), step / 10, unit))
            time.sleep(0.02)
        raise AssertionError("loading was never stopped")

    monkeypatch.setattr("babytui.core.datasets.load_images", loading)
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await run_lesson(pilot, 14)
        await wait_until(pilot, lambda: title in status_text(app))
        assert shown in status_text(app) and "/s" in status_text(app) and "left" in status_text(app)
        await pilot.press("x")
        await wait_until(pilot, lambda: app.main.running_lesson is None)
        assert any(f"stopped {title}; nothing of it was kept" in n for n in notifications(app))
        assert "stopped" in status_text(app) and "failed" not in str(app.query_one(LessonSidebar).render())
    assert RunStore().summaries() == []  # a run that never began is not saved


async def test_skipped_files_are_said_in_the_log(tiny_images, monkeypatch) -> None:
    import dataclasses

    warned = dataclasses.replace(tiny_images, warnings=("2 files could not be read as images and were skipped",))
    monkeypatch.setattr("babytui.core.datasets.load_images", lambda dataset, root, device, **options: warned.to(device))
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await run_lesson(pilot, 10)
        await wait_until(pilot, lambda: app.main.running_lesson is None, 30)
        assert "2 files could not be read as images and were skipped" in log_text(app)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
async def test_a_training_error_becomes_a_notification(tiny_images) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 14)
        app.query_one("#field-device", Select).value = "cuda"
        await pilot.pause()
        await pilot.press("f5")
        await wait_until(pilot, lambda: any("no CUDA GPU" in m for m in notifications(app)))
        await wait_until(pilot, lambda: app.main.running_lesson is None)
        assert app.query_one(LessonSidebar).item(14).mark == "✗"
        await go_to(pilot, 8)  # still usable
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.query_one(LessonSidebar).item(8).mark == "✓")


async def test_device_and_dataset_keys(tiny_images) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 12)
        app.query_one(LessonSidebar).focus()
        assert app.query_one("#field-device", Select).value == "auto"
        await pilot.press("d")
        assert app.main.device == "cpu" and app.query_one("#field-device", Select).value == "cpu"
        await pilot.press("d")
        options = ("auto", *app.main.devices)
        assert app.main.device == options[2 % len(options)]
        await pilot.press("D")
        assert app.main.dataset == DATASETS[1 % len(DATASETS)] == app.query_one("#field-dataset", Select).value


async def test_help_screen_and_command_palette() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for title in ("Run", "Pause / resume", "Step", "Stop", "Reset lesson", "Lesson page", "Choose device", "Choose dataset", "Help"):
            assert title in titles
        assert "Lesson 14: All together" in titles
        keys = {binding.action: binding.key for binding in (*app.BINDINGS, *app.main.BINDINGS)}
        assert {"run", "pause", "step", "stop", "reset", "cycle_device", "cycle_dataset", "quit", "help"} <= set(keys)


async def test_buttons_work_with_the_mouse() -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 7)
        await pilot.click("#button-run")
        await wait_until(pilot, lambda: app.query_one(LessonSidebar).item(7).mark == "✓")


async def test_resizing_down_to_40x12_and_back_never_crashes(tiny_images) -> None:
    app = BabytuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        for number in (1, 14):
            await go_to(pilot, number)
            for size in ((40, 12), (120, 40), (41, 13), (80, 24)):
                await pilot.resize_terminal(*size)
                await pilot.pause()
        await go_to(pilot, 8)
        await pilot.resize_terminal(40, 12)
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.main.running_lesson is None and app.query_one(LessonSidebar).item(8).mark == "✓")
        await pilot.press("question_mark")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()


def test_the_app_module_does_not_import_torch() -> None:
    code = "import sys, babytui.tui.app; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"

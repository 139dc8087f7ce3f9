"""The ghosts of the course on the loss plot: a lesson that names earlier lessons shows their newest
saved runs' test accuracy by epoch, dim, each labelled with its lesson and result, under its own run."""

from __future__ import annotations

import dataclasses

import pytest
from rich.color import Color, ColorSystem

from babytui.core.events import EpochEnded, RunStarted, StepLogged
from babytui.core.lessons import LESSONS, get_lesson
from babytui.core.runs import RunStore
from babytui.tui.app import BabytuiApp
from babytui.tui.curves import draw_loss
from babytui.tui.widgets.loss_plot import LossPlot
from babytui.tui.widgets.sidebar import LessonSidebar
from fixed_events import CLASSES
from run_files import fixed_run
from tui_helpers import go_to, ready, set_field, wait_until

SIZE = (120, 40)


@pytest.fixture
def names_14_and_15():
    """Lesson 21 names lessons 14 and 15 as its ghosts (the course's lesson module sets its own)."""
    real = get_lesson(21)
    LESSONS[20] = dataclasses.replace(real, ghosts=(14, 15))
    yield LESSONS[20]
    LESSONS[20] = real


def lesson_21_run(lesson: int = 21, epochs: int = 3, per_epoch: int = 200) -> list:
    """A fixed run on 1,000 CIFAR-10 test images: batch 256 (200 steps an epoch), one epoch scored a step range."""
    events: list = [RunStarted(lesson, "cpu", epochs, per_epoch, epochs * per_epoch, 1000, "cifar10", CLASSES, 50000, 1000)]
    for step in range(50, epochs * per_epoch + 1, 50):
        losses = tuple(2.3 - s / 1000 for s in range(step - 49, step + 1))
        events.append(StepLogged(1 + (step - 1) // per_epoch, step, losses[-1], losses, 256, 4000.0, step / 10, 0.0))
        if step % per_epoch == 0:
            epoch = step // per_epoch
            events.append(EpochEnded(epoch, step, 1.5, 1.4 - 0.1 * epoch, 60.0 + 8 * epoch, (), 1.0))
    return events


def saved_runs() -> dict[str, str]:
    """Lesson 14 (batch 4: 12,500 steps an epoch) and lesson 15 saved on the same test images, plus others."""
    same = {"dataset": "cifar10", "test": 1000, "classes": CLASSES}
    ids = {
        "14": fixed_run(14, [40.0, 50.0, 55.0, 62.8], per_epoch=12500, **same),
        "15": fixed_run(15, [45.0, 58.0, 64.1], per_epoch=11250, end="stopped", **same),
        "14 on shapes": fixed_run(14, [90.0], dataset="shapes", test=1000),  # other data: never compared
    }
    damaged = fixed_run(15, [99.0], per_epoch=11250, **same)  # the newest of lesson 15, but damaged
    (RunStore().find(damaged).path / "settings.json").write_text('{"format": 1, "lesson": "fifteen"')
    return ids


async def show(pilot, events: list) -> None:
    """Pass a run's events to the app as its worker would, and let the plot draw them."""
    for event in events:
        pilot.app.main.handle_event(event)
    plot = pilot.app.query_one(LossPlot)
    plot.flush(now=True)
    await pilot.pause()


async def test_the_lesson_that_names_earlier_lessons_shows_their_newest_runs_by_epoch(names_14_and_15) -> None:
    ids = saved_runs()
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 21)
        plot = app.query_one(LossPlot)
        await wait_until(pilot, lambda: 21 in plot.course)
        await pilot.press("2")
        await show(pilot, lesson_21_run())
        ghosts = plot.course_ghosts
        assert [(g.lesson, g.run_id) for g in ghosts] == [(14, ids["14"]), (15, ids["15"])]  # the damaged one left out
        curves = plot.course_curves()
        # by epoch: lesson 14's epoch 1 (12,500 steps of 4) falls at this run's step 200 (one epoch of 256)
        assert [list(c.steps) for c in curves] == [[200.0, 400.0, 600.0, 800.0], [200.0, 400.0, 600.0]]
        assert [list(c.accuracy) for c in curves] == [[40.0, 50.0, 55.0, 62.8], [45.0, 58.0, 64.1]]
        assert [c.marker for c in curves] == ["4", "5"] and len({c.hue for c in curves}) == 2
        # seven colours, dimmer than the run's, still seven where the terminal has only 256
        colours = plot.colours()
        assert len({Color.from_rgb(*rgb).downgrade(ColorSystem.EIGHT_BIT).number for rgb in colours.course}) == 7
        assert max(max(rgb) for rgb in colours.course) < min(max(colours.smooth), max(colours.test), max(colours.accuracy))
        summary = plot.summary().plain
        assert "ghosts, accuracy by epoch: 14 62.8% 15 64.1% (part)" in summary
        assert summary.index("accuracy 84.0%") < summary.index("ghosts")  # the run's own numbers first


def test_the_ghosts_are_drawn_first_on_the_accuracy_axis_and_only_as_far_as_the_run() -> None:
    from babytui.tui.curves import CourseCurve, LossHistory

    calls: list[tuple[str, tuple, dict]] = []

    class Figure:
        def __getattr__(self, name):
            return lambda *args, **kwargs: calls.append((name, args, kwargs))

    history = LossHistory(21, 600)
    history.add_losses(400, tuple(2.0 for _ in range(400)))
    history.add_epoch(200, 1.5, 1.3, 68.0)
    history.add_epoch(400, 1.4, 1.2, 76.0)
    course = [CourseCurve([200.0, 400.0, 600.0, 800.0], [40.0, 50.0, 55.0, 62.8], "4", 0)]
    draw_loss(Figure(), history, None, 80, course=course)
    drawn = [(name, args, kwargs) for name, args, kwargs in calls if name in ("plot", "scatter")]
    ghost_line, ghost_mark = drawn[0], drawn[1]
    assert ghost_line[1] == ([200.0, 400.0], [40.0, 50.0]) and ghost_line[2]["yside"] == "right"
    assert ghost_mark[1] == ([400.0], [50.0]) and ghost_mark[2]["marker"] == "4"  # its lesson's digit at its end
    assert all("yside" not in kwargs or kwargs["yside"] == "right" for _, _, kwargs in drawn[:2])
    assert len(drawn) > 2  # the run's own curves come after, drawn over the ghosts


async def test_a_lesson_that_names_none_shows_none(names_14_and_15) -> None:
    saved_runs()
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 16)
        await pilot.press("2")
        await show(pilot, lesson_21_run(lesson=16))
        plot = app.query_one(LossPlot)
        assert plot.course_ghosts == [] and plot.course_curves() == [] and 16 not in plot.course
        assert "ghosts" not in plot.summary().plain


async def test_a_run_of_a_named_lesson_becomes_its_ghost_once_it_ends(names_14_and_15, tiny_images) -> None:
    app = BabytuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await go_to(pilot, 21)
        plot = app.query_one(LossPlot)
        await wait_until(pilot, lambda: 21 in plot.course)
        assert plot.course[21] == []  # nothing saved yet
        await go_to(pilot, 14)
        await set_field(pilot, "epochs", "1")
        app.query_one(LessonSidebar).focus()
        await pilot.press("r")
        await wait_until(pilot, lambda: app.main.running_lesson is None and len(plot.history.test_accuracy) == 1, 30)
        (run,) = RunStore().runs()
        accuracy = plot.history.test_accuracy[-1]
        await go_to(pilot, 21)
        await wait_until(pilot, lambda: plot.course.get(21))
        (ghost,) = plot.course[21]
        assert ghost.lesson == 14 and ghost.run_id == run.id and ghost.epochs == (1.0,) and ghost.accuracy == (accuracy,)
        await set_field(pilot, "epochs", "1")  # lesson 21's own run, on the same images: 14's run is drawn under it
        await set_field(pilot, "batch_size", "8")  # 8 updates: one-cycle wants two of them to warm up
        await set_field(pilot, "width", "8")
        app.query_one(LessonSidebar).focus()
        await pilot.press("r")
        await wait_until(pilot, lambda: app.main.running_lesson is None and plot.history.lesson == 21 and plot.history.test_accuracy, 30)
        assert [g.run_id for g in plot.course_ghosts] == [run.id]
        assert [list(c.steps) for c in plot.course_curves()] == [[float(plot.history.steps_per_epoch)]]

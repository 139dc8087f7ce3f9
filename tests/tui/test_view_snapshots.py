"""SVG snapshots of the live views in fixed states made of injected events (never a live run)."""

from __future__ import annotations

import dataclasses

from babytui.core.lessons import LESSONS
from babytui.tui.app import BabytuiApp
from babytui.tui.widgets.loss_plot import LossPlot
from babytui.tui.widgets.prediction_grid import PredictionGrid
from babytui.tui.widgets.settings_form import SettingsForm
from babytui.tui.widgets.sidebar import LessonSidebar
from babytui.tui.widgets.weight_inspector import WeightInspector
from test_views import injected_events
from tui_helpers import ready, wait_until

SIZE = (140, 45)


async def show(pilot, number: int, events: list, key: str) -> None:
    """Go to a lesson, feed it events as if a run had made them, and show one view."""
    pilot.app.query_one(LessonSidebar).select(number)
    await wait_until(pilot, lambda: pilot.app.lesson.number == number and pilot.app.query_one(SettingsForm).inputs)
    for event in events:
        pilot.app.handle_event(event)
    pilot.app.post_message(BabytuiApp.TrainingEnded(number))
    await pilot.press(key)
    await pilot.pause()
    pilot.app.query_one(LossPlot).flush()
    pilot.app.query_one(WeightInspector).flush(force=True)
    await pilot.pause(0.1)


def lesson_5_events() -> list:
    """A real lesson 5 run (one update), with its timings fixed."""
    from babytui.core.train import train

    lesson = LESSONS[4]
    fixed = {"samples_per_second": 1000.0, "elapsed": 0.001, "eta": 0.0, "seconds": 0.001}
    events = []
    for event in train(lesson, lesson.settings()):
        names = {f.name for f in dataclasses.fields(event)}
        events.append(dataclasses.replace(event, **{k: v for k, v in fixed.items() if k in names}))
    return events


class TestLossPlot:
    """Training loss per step, test loss and accuracy per epoch."""

    def test_two_epochs_of_lesson_14(self, snap_compare, fixed_code) -> None:
        events = injected_events()

        async def run_before(pilot) -> None:
            await ready(pilot)
            await show(pilot, 14, events, "2")

        assert snap_compare(BabytuiApp(), terminal_size=SIZE, run_before=run_before)

    def test_empty(self, snap_compare, fixed_code) -> None:
        async def run_before(pilot) -> None:
            await ready(pilot)
            await pilot.press("2")
            await pilot.pause()

        assert snap_compare(BabytuiApp(), terminal_size=SIZE, run_before=run_before)


class TestWeights:
    """Every parameter in a table; the selected one's values below."""

    def test_conv1_filters_of_lesson_14(self, snap_compare, fixed_code) -> None:
        events = injected_events()

        async def run_before(pilot) -> None:
            await ready(pilot)
            await show(pilot, 14, events, "3")

        assert snap_compare(BabytuiApp(), terminal_size=SIZE, run_before=run_before)

    def test_lesson_5_before_and_after_the_update(self, snap_compare, fixed_code) -> None:
        events = lesson_5_events()

        async def run_before(pilot) -> None:
            await ready(pilot)
            await show(pilot, 5, events, "3")

        assert snap_compare(BabytuiApp(), terminal_size=SIZE, run_before=run_before)


class TestPredictions:
    """Test images with their true and predicted classes."""

    def test_first_page_with_the_top_3(self, snap_compare, fixed_code) -> None:
        events = injected_events()

        async def run_before(pilot) -> None:
            await ready(pilot)
            await show(pilot, 14, events, "4")
            await pilot.press("right", "enter")
            await pilot.pause()

        assert snap_compare(BabytuiApp(), terminal_size=SIZE, run_before=run_before)

    def test_wrong_only(self, snap_compare, fixed_code) -> None:
        events = injected_events()

        async def run_before(pilot) -> None:
            await ready(pilot)
            await show(pilot, 14, events, "4")
            await pilot.press("w")
            await pilot.pause()
            assert pilot.app.query_one(PredictionGrid).wrong_only

        assert snap_compare(BabytuiApp(), terminal_size=SIZE, run_before=run_before)


class TestConfusion:
    """The confusion matrix with each class's accuracy."""

    def test_after_two_epochs(self, snap_compare, fixed_code) -> None:
        events = injected_events()

        async def run_before(pilot) -> None:
            await ready(pilot)
            await show(pilot, 14, events, "5")

        assert snap_compare(BabytuiApp(), terminal_size=SIZE, run_before=run_before)

"""SVG snapshots of the live views in fixed states made of injected events of fixed numbers (never a
run: torch's arithmetic differs in its last bits from one CPU to another, and so would the colours)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding

import babytui.tui

from babytui.core.events import BestRestored, EpochEnded, LrChanged, RangeTestDone, RangeTestLogged, RunStarted, StepLogged
from babytui.tui.widgets.loss_plot import LossPlot
from babytui.tui.widgets.output_area import VIEW_TABS, OutputArea
from babytui.tui.widgets.weight_inspector import WeightInspector
from fixed_events import fed_event, injected_events, lesson_5_events

SIZE = (90, 34)
"""The output area alone, a little bigger than it is in a 140x45 terminal."""


class ViewsApp(App[None]):
    """Only the output area with the app's styles and view keys: other widgets cannot move these snapshots."""

    CSS_PATH = Path(babytui.tui.__file__).parent / "app.tcss"
    BINDINGS = [Binding(str(n), f"show_view({n - 1})") for n in range(1, 6)]

    def compose(self) -> ComposeResult:
        """The output area alone."""
        yield OutputArea()

    def on_mount(self) -> None:
        """The views alone: no lesson page here, so no tab for it."""
        self.query_one(OutputArea).set_lesson_tab(False)

    def action_show_view(self, index: int) -> None:
        """Show one tab, as keys 1-5 do in the app."""
        self.query_one(OutputArea).show_tab(VIEW_TABS[index])


def app_with(events: list, key: str, *keys: str):
    """A snap_compare `run_before` that feeds the events to the views, shows one and presses keys."""

    async def run_before(pilot) -> None:
        area = pilot.app.query_one(OutputArea)
        for event in events:
            area.handle(event)
        await pilot.press(key)
        await pilot.pause()
        pilot.app.query_one(LossPlot).flush()
        pilot.app.query_one(WeightInspector).flush(force=True)
        await pilot.pause(0.1)
        if keys:
            await pilot.press(*keys)
            await pilot.pause(0.1)

    return run_before


def validated_events() -> list:
    """Lesson 15-like: two epochs with validation scores, the lr changed at step 600, epoch 1 restored."""
    events = []
    for event in injected_events():
        if isinstance(event, EpochEnded):
            event = dataclasses.replace(event, val_loss=event.test_loss - 0.05, val_accuracy=event.test_accuracy + 2)
        if isinstance(event, StepLogged):
            event = dataclasses.replace(event, lr=0.01 if event.step <= 600 else 0.005)
        events.append(event)
        if isinstance(event, StepLogged) and event.step == 600:
            events.append(LrChanged(600, 0.005, 0.01, 0.005))
    events.append(BestRestored(1, 500, 42.0, 1.5, 40.0, 50.0))
    return events


def range_test_events() -> list:
    """An LR range test of 200 batches whose loss falls from lr 1e-3, bottoms out at 0.3 and explodes."""
    lrs = [1e-6 * (1e7 ** (i / 199)) for i in range(160)]
    losses = [2.3 - 0.9 / (1 + math.exp(-3 * (math.log10(lr) + 2))) + (4 * (math.log10(lr) + 0.5) ** 2 if lr > 0.3 else 0) for lr in lrs]
    logged = [RangeTestLogged(i + 40, 200, tuple(lrs[i : i + 40]), tuple(losses[i : i + 40])) for i in range(0, 160, 40)]
    return [*logged, RangeTestDone(tuple(lrs), tuple(losses), tuple(losses), 0.0105, 0.3, "exploded", 12.0)]


class TestLossPlot:
    """Training loss per step, test loss and accuracy per epoch."""

    def test_two_epochs_of_lesson_14(self, snap_compare) -> None:
        assert snap_compare(ViewsApp(), terminal_size=SIZE, run_before=app_with(injected_events(), "2"))

    def test_log10(self, snap_compare) -> None:
        assert snap_compare(ViewsApp(), terminal_size=SIZE, run_before=app_with(injected_events(), "2", "l"))

    def test_empty(self, snap_compare) -> None:
        assert snap_compare(ViewsApp(), terminal_size=SIZE, run_before=app_with([], "2"))

    def test_validation_an_lr_change_and_the_restored_epoch(self, snap_compare) -> None:
        assert snap_compare(ViewsApp(), terminal_size=SIZE, run_before=app_with(validated_events(), "2"))

    def test_an_lr_range_test(self, snap_compare) -> None:
        assert snap_compare(ViewsApp(), terminal_size=SIZE, run_before=app_with(range_test_events(), "2"))


class TestWeights:
    """Every parameter in a table; the selected one's values below."""

    def test_conv1_filters_of_lesson_14(self, snap_compare) -> None:
        assert snap_compare(ViewsApp(), terminal_size=SIZE, run_before=app_with(injected_events(), "3"))

    def test_conv2_filters_per_channel(self, snap_compare) -> None:
        run_before = app_with(injected_events(), "3", "down", "down")
        assert snap_compare(ViewsApp(), terminal_size=SIZE, run_before=run_before)

    def test_lesson_5_before_and_after_the_update(self, snap_compare) -> None:
        assert snap_compare(ViewsApp(), terminal_size=SIZE, run_before=app_with(lesson_5_events(), "3"))


class TestPredictions:
    """Test images with their true and predicted classes."""

    def test_first_page_with_the_top_3(self, snap_compare) -> None:
        run_before = app_with(injected_events(), "4", "right", "enter")
        assert snap_compare(ViewsApp(), terminal_size=SIZE, run_before=run_before)

    def test_wrong_only_second_page(self, snap_compare) -> None:
        run_before = app_with(injected_events(), "4", "w", "n")
        assert snap_compare(ViewsApp(), terminal_size=SIZE, run_before=run_before)

    def test_what_the_network_is_fed(self, snap_compare) -> None:
        run_before = app_with([*injected_events(), fed_event()], "4", "a")
        assert snap_compare(ViewsApp(), terminal_size=SIZE, run_before=run_before)

    def test_a_lesson_without_images(self, snap_compare) -> None:
        started = RunStarted(8, "cpu", 3, 1, 3, 13)
        assert snap_compare(ViewsApp(), terminal_size=SIZE, run_before=app_with([started], "4"))


class TestConfusion:
    """The confusion matrix with each class's accuracy."""

    def test_after_two_epochs(self, snap_compare) -> None:
        assert snap_compare(ViewsApp(), terminal_size=SIZE, run_before=app_with(injected_events(), "5"))

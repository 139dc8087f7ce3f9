"""SVG snapshots of the inside, health and layers views in fixed, injected states (never a live run)."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding

import babytui.tui
from babytui.core.architecture import lesson_card
from babytui.core.events import RunStarted
from babytui.core.lessons import get_lesson
from babytui.tui.widgets.architecture_card import ArchitectureCard
from babytui.tui.widgets.health_view import HealthView
from babytui.tui.widgets.inside_view import InsideView
from babytui.tui.widgets.output_area import VIEW_TABS, OutputArea
from inside_states import CLASSES, health_events, injected_look, injected_network, injected_what_ifs

SIZE = (100, 40)
"""The output area alone, about as big as it is zoomed in a 100x42 terminal."""


class ViewsApp(App[None]):
    """Only the output area with the app's styles and view keys 1-8."""

    CSS_PATH = Path(babytui.tui.__file__).parent / "app.tcss"
    BINDINGS = [Binding(str(n), f"show_view({n - 1})") for n in range(1, 9)]

    def compose(self) -> ComposeResult:
        """The output area alone."""
        yield OutputArea()

    def action_show_view(self, index: int) -> None:
        """Show one tab, as the keys do in the app."""
        self.query_one(OutputArea).show_tab(VIEW_TABS[index])


def inside_with(result: dict, *keys: str, previous: dict | None = None, started: RunStarted | None = None):
    """A `run_before` showing the inside view with a fixed look (and the one before it)."""

    async def run_before(pilot) -> None:
        await pilot.press("6")
        await pilot.pause()
        view = pilot.app.query_one(InsideView)
        view.started = started or RunStarted(14, "cpu", 1, 500, 500, 67_110, "cifar10", CLASSES, 2000, 500)
        view.index = 7
        for look in (previous, result):
            if look is not None and "look" in look:
                look.setdefault("what", "test image #7 (cat)")
        if previous is not None:
            view.show(previous)
        view.show(result)
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await pilot.pause(0.1)

    return run_before


class TestInside:
    """One picture through lesson 14's network, drawn from a fixed look."""

    def test_outputs_of_every_layer(self, snap_compare) -> None:
        result = {"look": injected_look(), "what_ifs": injected_what_ifs()}
        assert snap_compare(ViewsApp(), terminal_size=SIZE, run_before=inside_with(result))

    def test_gradients_after_one_step(self, snap_compare) -> None:
        before = {"look": injected_look(step=1199), "what_ifs": injected_what_ifs()}
        after = {"look": injected_look(step=1200), "what_ifs": injected_what_ifs()}
        assert snap_compare(ViewsApp(), terminal_size=SIZE, run_before=inside_with(after, "g", previous=before))

    def test_a_small_network_unit_by_unit(self, snap_compare) -> None:
        started = RunStarted(8, "cpu", 3, 1, 3, 13)
        run_before = inside_with({"network": injected_network()}, started=started)
        assert snap_compare(ViewsApp(), terminal_size=SIZE, run_before=run_before)


class TestHealth:
    """The health view and the health line after fixed checks."""

    def test_lesson_11_with_the_sigmoid_on_the_output(self, snap_compare) -> None:
        async def run_before(pilot) -> None:
            area = pilot.app.query_one(OutputArea)
            for event in health_events():
                area.handle(event)
            await pilot.press("7")
            await pilot.pause()
            pilot.app.query_one(HealthView).flush(True)
            await pilot.pause(0.1)

        assert snap_compare(ViewsApp(), terminal_size=SIZE, run_before=run_before)


class TestLayers:
    """The architecture card."""

    def test_lesson_14(self, snap_compare) -> None:
        async def run_before(pilot) -> None:
            await pilot.press("8")
            await pilot.pause()
            lesson = get_lesson(14)
            card = lesson_card(lesson, lesson.settings())  # shapes and counts only: integers
            pilot.app.query_one(ArchitectureCard).on_architecture_card_measured(ArchitectureCard.Measured((14, None, 10), card))
            await pilot.pause(0.1)

        assert snap_compare(ViewsApp(), terminal_size=SIZE, run_before=run_before)

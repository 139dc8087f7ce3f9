"""The output views in tabs; every core event reaches each of them through `handle`."""

from __future__ import annotations

from typing import Any

from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane

from .architecture_card import ArchitectureCard
from .confusion_matrix import ConfusionMatrix
from .health_line import HealthLine
from .health_view import HealthView
from .inside_view import InsideView
from .loss_plot import LossPlot
from .notebook_log import NotebookLog
from .prediction_grid import PredictionGrid
from .weight_inspector import WeightInspector

VIEW_TABS = ("tab-log", "tab-loss", "tab-weights", "tab-predictions", "tab-confusion", "tab-inside", "tab-health", "tab-layers")
"""The tabs in order: keys 1-8 show them."""


class OutputArea(Vertical):
    """Tabs of views of the running lesson (#output); the log is the first (#tab-log).

    A view is any widget inside with a `handle_event(event)` method; it receives every core
    event, in order, from `handle`. Keep `handle_event` cheap and redraw on a timer.
    """

    ALLOW_MAXIMIZE = True  # z fills the screen with the views

    def __init__(self) -> None:
        super().__init__(id="output-area")
        self.views: list[Any] = []
        """The widgets that receive every event, in tab order."""

    def compose(self):
        """The tabs, starting with the notebook log."""
        with TabbedContent(id="output"):
            with TabPane("Log", id="tab-log"):
                yield NotebookLog()
            with TabPane("Loss", id="tab-loss"):
                yield LossPlot()
            with TabPane("Weights", id="tab-weights"):
                yield WeightInspector()
            with TabPane("Predictions", id="tab-predictions"):
                yield PredictionGrid()
            with TabPane("Confusion", id="tab-confusion"):
                yield ConfusionMatrix()
            with TabPane("Inside", id="tab-inside"):
                yield InsideView()
            with TabPane("Health", id="tab-health"):
                yield HealthView()
            with TabPane("Layers", id="tab-layers"):
                yield ArchitectureCard()
        yield HealthLine()

    def on_mount(self) -> None:
        """Find the views composed inside."""
        self.views = [w for w in self.query("*") if callable(getattr(w, "handle_event", None))]

    async def add_view(self, title: str, pane_id: str, view: Widget) -> None:
        """Add a tab holding `view`, which then receives every event."""
        await self.query_one("#output", TabbedContent).add_pane(TabPane(title, view, id=pane_id))
        self.views.append(view)

    def handle(self, event: Any) -> None:
        """Pass one core event to every view."""
        for view in self.views:
            view.handle_event(event)

    def show_tab(self, pane_id: str) -> None:
        """Bring a tab to the front and put the keyboard on its view."""
        self.query_one("#output", TabbedContent).active = pane_id
        view = self.query_one(f"#{pane_id}", TabPane).query("*").first()
        if view.focusable:
            view.focus()
        elif view.query("DataTable"):
            view.query_one("DataTable").focus()

    def show_settings(self, lesson: Any, settings: Any) -> None:
        """The lesson shown and its settings (None while one is bad): the architecture card follows them."""
        self.query_one(ArchitectureCard).show_for(lesson, settings)

    def on_prediction_grid_picked(self, message: PredictionGrid.Picked) -> None:
        """A test image picked on the grid is the one the inside view looks at."""
        self.query_one(InsideView).pick(message.index)

    @property
    def log_view(self) -> NotebookLog:
        """The notebook log."""
        return self.query_one(NotebookLog)

    def reset(self) -> None:
        """Forget what the views show (a view may define `reset()`)."""
        for view in self.views:
            if callable(getattr(view, "reset", None)):
                view.reset()

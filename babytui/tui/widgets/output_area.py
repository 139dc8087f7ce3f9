"""The output views in tabs; every core event reaches each of them through `handle`.

The first tab stands for the lesson page (text, code, settings), shown instead of the views where
the screen is too narrow for both. Each lesson keeps its own last run (see `run_log`): moving to
a lesson plays its events to the views again, so they show that lesson's output, or nothing.
"""

from __future__ import annotations

from typing import Any

from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane

from ..run_log import RunLog
from .confusion_matrix import ConfusionMatrix
from .loss_plot import LossPlot
from .notebook_log import NotebookLog
from .prediction_grid import PredictionGrid
from .weight_inspector import WeightInspector

LESSON_TAB = "tab-lesson"
"""The tab of the lesson page (key 0)."""
VIEW_TABS = ("tab-log", "tab-loss", "tab-weights", "tab-predictions", "tab-confusion")
"""The views' tabs in order: keys 1-5 show them."""


class OutputArea(Vertical):
    """Tabs of views of the lesson shown (#output); the log is the first view (#tab-log).

    A view is any widget inside with a `handle_event(event)` method; it receives every core
    event, in order, from `handle`, and `reset()` (if it has one) empties it before another
    lesson's events are played. Keep `handle_event` cheap and redraw on a timer.
    """

    ALLOW_MAXIMIZE = True  # z fills the screen with the views

    def __init__(self) -> None:
        super().__init__(id="output-area")
        self.views: list[Any] = []
        """The widgets that receive every event, in tab order."""
        self.logs: dict[int, RunLog] = {}
        """Each lesson's last runs."""
        self.lesson: int | None = None
        """The lesson whose output the views show."""

    def compose(self):
        """The lesson tab, then the views, starting with the notebook log."""
        with TabbedContent(id="output"):
            yield TabPane("Lesson", id=LESSON_TAB)
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

    def record(self, lesson: int, event: Any) -> None:
        """Keep an event of a run of `lesson`, and show it if that lesson is the one shown."""
        self.logs.setdefault(lesson, RunLog()).add(event)
        if lesson == self.lesson:
            self.handle(event)

    def show_lesson(self, lesson: int) -> None:
        """Show a lesson's own last output (or each view's placeholder)."""
        if lesson == self.lesson:
            return
        self.lesson = lesson
        self.reset()
        log = self.logs.get(lesson)
        for event in log.events() if log is not None else ():
            self.handle(event)

    def forget(self, lesson: int) -> None:
        """Forget a lesson's runs (its output and the ghost of its previous curve)."""
        self.logs.pop(lesson, None)
        if lesson == self.lesson:
            self.reset()

    @property
    def active(self) -> str:
        """The id of the tab in front."""
        return self.query_one("#output", TabbedContent).active

    def show_tab(self, pane_id: str, focus: bool = True) -> None:
        """Bring a tab to the front and (`focus`) put the keyboard on its view."""
        self.query_one("#output", TabbedContent).active = pane_id
        if focus and pane_id != LESSON_TAB:
            self.focus_view(pane_id)

    def focus_view(self, pane_id: str) -> None:
        """Put the keyboard on the view in a tab."""
        view = self.query_one(f"#{pane_id}", TabPane).query("*").first()
        if view.focusable:
            view.focus()
        elif view.query("DataTable"):
            view.query_one("DataTable").focus()

    def set_lesson_tab(self, shown: bool) -> None:
        """Show the lesson tab (a narrow screen) or hide it (the lesson page stands beside the views)."""
        tabs = self.query_one("#output", TabbedContent)
        if shown:
            tabs.show_tab(LESSON_TAB)
        else:
            tabs.hide_tab(LESSON_TAB)

    @property
    def log_view(self) -> NotebookLog:
        """The notebook log."""
        return self.query_one(NotebookLog)

    def reset(self) -> None:
        """Forget what the views show (a view may define `reset()`)."""
        for view in self.views:
            if callable(getattr(view, "reset", None)):
                view.reset()

"""The output views in tabs; every core event reaches each of them through `handle`."""

from __future__ import annotations

from typing import Any

from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane

from .notebook_log import NotebookLog


class OutputArea(Vertical):
    """Tabs of views of the running lesson (#output); the log is the first (#tab-log).

    A view is any widget inside with a `handle_event(event)` method; it receives every core
    event, in order, from `handle`. Keep `handle_event` cheap and redraw on a timer.
    """

    def __init__(self) -> None:
        super().__init__(id="output-area")
        self.views: list[Any] = []
        """The widgets that receive every event, in tab order."""

    def compose(self):
        """The tabs, starting with the notebook log."""
        with TabbedContent(id="output"):
            with TabPane("Log", id="tab-log"):
                yield NotebookLog()

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

    @property
    def log_view(self) -> NotebookLog:
        """The notebook log."""
        return self.query_one(NotebookLog)

    def reset(self) -> None:
        """Forget what the views show (a view may define `reset()`)."""
        for view in self.views:
            if callable(getattr(view, "reset", None)):
                view.reset()

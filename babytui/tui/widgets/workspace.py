"""Beside the sidebar: the lesson page (text, code, settings) and the output views.

With room for both (WIDE columns or more) they stand side by side. Narrower, the views get the
whole room and the lesson page is their first tab: 0 shows it, 1-5 a view. The classes
`-lesson-page` and `-views-page` on the workspace say which one is in front, `-side-by-side` that
both are (the stylesheet lays them out).
"""

from __future__ import annotations

from textual.containers import Container, Vertical
from textual.events import Resize
from textual.widgets import TabbedContent

from babytui.core.lessons import Lesson

from .control_bar import ControlBar
from .lesson_pane import LessonPane
from .output_area import LESSON_TAB, VIEW_TABS, OutputArea
from .settings_form import SettingsForm

WIDE = 160
"""Columns of the workspace (the screen less the sidebar) from which the two stand side by side."""


class Workspace(Container):
    """The lesson page and the views: side by side, or one at a time as tabs."""

    def __init__(self, lesson: Lesson, values: dict[str, str]) -> None:
        super().__init__(id="work")
        self._initial = (lesson, values)
        self.last_view = VIEW_TABS[0]
        """The view shown last: what running, zooming or 1-5 bring back."""
        self.wide = False
        """True while the lesson page and the views stand side by side."""

    def compose(self):
        """The lesson page (text and code, settings and buttons), then the views."""
        lesson, values = self._initial
        with Container(id="lesson-page"):
            yield LessonPane()
            with Vertical(id="settings-column"):
                yield SettingsForm(lesson, values)
                yield ControlBar()
        yield OutputArea()

    @property
    def area(self) -> OutputArea:
        """The views."""
        return self.query_one(OutputArea)

    @property
    def lesson_page_shown(self) -> bool:
        """True when the lesson page is on screen (always, when wide)."""
        return self.wide or self.area.active == LESSON_TAB

    def on_resize(self, event: Resize) -> None:
        """Side by side or one at a time, as the width allows."""
        self.fit_width(event.size.width)

    def fit_width(self, width: int) -> None:
        """The lesson tab where the two cannot stand side by side; then the classes of the page in front."""
        self.wide = width >= WIDE
        self.set_class(self.wide, "-side-by-side")
        self.area.set_lesson_tab(not self.wide)
        if self.wide and self.area.active == LESSON_TAB:
            self.area.show_tab(self.last_view, focus=False)
        self._classes_for_page()

    def _classes_for_page(self) -> None:
        """The lesson page alone, the views alone, or both."""
        lesson_page = not self.wide and self.area.active == LESSON_TAB
        self.set_class(lesson_page, "-lesson-page")
        self.set_class(not self.wide and not lesson_page, "-views-page")

    def on_tabbed_content_tab_activated(self, message: TabbedContent.TabActivated) -> None:
        """A tab was chosen (a key or a click): show its page."""
        pane = message.pane.id or ""
        if pane != LESSON_TAB:
            self.last_view = pane
        self._classes_for_page()

    def show_lesson_page(self) -> None:
        """Bring the lesson page to the front (it always is, when wide)."""
        if not self.wide:
            self.area.show_tab(LESSON_TAB)

    def show_view(self, pane_id: str | None = None, focus: bool = True) -> None:
        """Bring a view to the front (the one shown last by default)."""
        self.area.show_tab(pane_id or self.last_view, focus=focus)

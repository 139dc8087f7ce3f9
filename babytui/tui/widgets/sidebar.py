"""The list of lessons, with a mark and the last result of each one run."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.message import Message
from textual.widgets import Label, ListItem, ListView

from babytui.core.lessons import LESSONS


class LessonItem(ListItem):
    """One lesson in the sidebar: its number, title, mark and last result."""

    def __init__(self, number: int, title: str) -> None:
        super().__init__(Label(id=f"lesson-label-{number}", classes="lesson-label"), id=f"lesson-{number}")
        self.number = number
        """The lesson number."""
        self.title = title
        """The lesson's title."""
        self.mark = " "
        """'✓' once run, '•' stopped, '✗' when the last run failed, '▶' while running, ' ' otherwise."""
        self.result = ""
        """The last result in words, e.g. 'loss 0.2501' or 'acc 45.2%'."""
        self.before_run: tuple[str, str] | None = None
        """The mark and result shown before the run in progress began, to put back if it never starts."""

    def on_mount(self) -> None:
        """Draw the label once mounted."""
        self.refresh_label()

    def refresh_label(self) -> None:
        """Redraw the label from the mark and result."""
        style = {"✓": "$text-success", "•": "$text-warning", "▶": "$text-accent"}.get(self.mark, "$text-error")
        parts: list = [(self.mark, style), f" {self.number:>2} {self.title}"]
        if self.result:
            parts += ["\n", (f"     {self.result}", "$text-muted")]
        self.query_one(Label).update(Content.assemble(*parts))


class LessonSidebar(ListView):
    """Every lesson of the course; moving the highlight selects a lesson."""

    @dataclass
    class LessonShown(Message):
        """The highlighted lesson changed."""

        number: int
        """The lesson now highlighted."""

    @dataclass
    class Opened(Message):
        """Enter on a lesson: open its page to edit its settings."""

        number: int
        """The lesson."""

    def __init__(self) -> None:
        super().__init__(*(LessonItem(lesson.number, lesson.title) for lesson in LESSONS), id="sidebar")
        self.border_title = "Lessons"

    def on_list_view_highlighted(self, event: ListView.Highlighted) -> None:
        """Turn ListView's highlight into our Selected message."""
        event.stop()
        if isinstance(event.item, LessonItem):
            self.post_message(self.LessonShown(event.item.number))

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        """Enter on a lesson opens it: its settings get the keyboard (the screen does that)."""
        event.stop()
        if isinstance(event.item, LessonItem):
            self.post_message(self.LessonShown(event.item.number))
            self.post_message(self.Opened(event.item.number))

    def select(self, number: int) -> None:
        """Highlight the lesson with this number."""
        self.index = number - 1

    @property
    def highlighted_number(self) -> int | None:
        """The number of the highlighted lesson."""
        return None if self.index is None else self.index + 1

    def move(self, by: int) -> None:
        """Highlight the lesson `by` places down (up when negative), stopping at the ends."""
        current = self.index if self.index is not None else 0
        self.index = max(0, min(len(LESSONS) - 1, current + by))

    def item(self, number: int) -> LessonItem:
        """The sidebar entry of a lesson."""
        return self.query_one(f"#lesson-{number}", LessonItem)

    def set_result(self, number: int, mark: str, result: str) -> None:
        """Show a lesson's mark and last result."""
        item = self.item(number)
        item.mark, item.result = mark, result
        item.refresh_label()

    def clear_result(self, number: int) -> None:
        """Forget a lesson's mark and result."""
        self.set_result(number, " ", "")

    def set_running(self, number: int, what: str) -> None:
        """Mark a lesson as running (`what`: 'running', 'loading data'), keeping its last result to put back."""
        item = self.item(number)
        if item.before_run is None:
            item.before_run = (item.mark, item.result)
        self.set_result(number, "▶", what)

    def run_ended(self, number: int) -> None:
        """The run ended without a result of its own (stopped while its data loaded): show the last one again."""
        item = self.item(number)
        if item.mark == "▶" and item.before_run is not None:
            self.set_result(number, *item.before_run)
        item.before_run = None

    def results(self) -> dict[int, tuple[str, str]]:
        """Each lesson's mark and result, for those that have one (not a run in progress)."""
        found = {}
        for item in self.query(LessonItem):
            shown = item.before_run if item.mark == "▶" else (item.mark, item.result)
            if shown is not None and shown[0].strip():
                found[item.number] = shown
        return found

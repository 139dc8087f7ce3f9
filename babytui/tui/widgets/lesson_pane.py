"""The lesson's explanation and its PyTorch code, highlighted."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.highlight import highlight
from textual.widgets import Static

from babytui.core.lessons import Lesson


class LessonPane(VerticalScroll):
    """Title, text and code of the current lesson; the code follows the settings."""

    def __init__(self) -> None:
        super().__init__(id="lesson-pane")
        self.code = ""
        """The code shown now, to skip redraws when it has not changed."""
        self._code_due = False

    def compose(self):
        """The title, the text and the code."""
        yield Static(id="lesson-title")
        yield Static(id="lesson-text")
        yield Static(id="lesson-code")

    def show_lesson(self, lesson: Lesson) -> None:
        """Show a lesson's title and explanation."""
        self.border_title = f"Lesson {lesson.number}"
        self.query_one("#lesson-title", Static).update(f"{lesson.number}. {lesson.title}")
        self.query_one("#lesson-text", Static).update(lesson.text)
        self.scroll_home(animate=False)

    def show_code(self, code: str | None) -> None:
        """Show the lesson's script, highlighted; None or empty hides the code."""
        code = (code or "").rstrip()
        if code == self.code:
            return
        self.code = code
        if not self._code_due:
            # Highlight after the next paint: the first frame and each keystroke show first.
            self._code_due = True
            self.call_after_refresh(self._draw_code)

    def _draw_code(self) -> None:
        """Highlight and show the latest code."""
        self._code_due = False
        widget = self.query_one("#lesson-code", Static)
        widget.display = bool(self.code)
        widget.update(highlight(self.code, language="python") if self.code else "")

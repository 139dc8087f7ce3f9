"""A short text, updated often, that repaints without re-laying out the screen (Static.update re-lays it)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widget import Widget


class SummaryLine(Widget):
    """A line of text updated often: `set()` repaints only on a change, and re-lays out only when
    the text's height changes."""

    DEFAULT_CSS = """
    SummaryLine {
        height: auto;
        width: 1fr;
        padding: 0 1;
        color: $text-muted;
    }
    """

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.content: Any = text
        """The text shown (a str or Rich Text)."""

    def set(self, text: Any) -> None:
        """Show `text`, repainting only if it differs (and re-laying out only if its height does)."""
        if text == self.content:
            return
        width = self.content_size.width
        same_height = width > 0 and self._height(text, width) == self._height(self.content, width)
        self.content = text
        self.refresh(layout=not same_height)

    def _height(self, text: Any, width: int) -> int:
        """Lines `text` takes when wrapped to `width` cells."""
        return len(self._as_text(text).wrap(self.app.console, width))

    @staticmethod
    def _as_text(text: Any) -> Text:
        """A str or Rich Text as Rich Text."""
        return text if isinstance(text, Text) else Text(str(text))

    def render(self) -> Text:
        """The text, wrapped where it is too long for one line."""
        return self._as_text(self.content)

"""A short text, updated often, that repaints without re-laying out the screen (Static.update re-lays it)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widget import Widget


class SummaryLine(Widget):
    """A line of text updated often: `set()` repaints only on a change, and re-lays out only when it may wrap."""

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
        """Show `text`, repainting only if it differs."""
        if text == self.content:
            return
        width = self.content_size.width
        fits = width > 0 and len(str(text)) <= width and len(str(self.content)) <= width
        self.content = text
        self.refresh(layout=not fits)

    def render(self) -> Text:
        """The text, wrapped where it is too long for one line."""
        return self.content if isinstance(self.content, Text) else Text(str(self.content))

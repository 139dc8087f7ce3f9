"""A tall picture drawn once: its lines rendered into strips when it changes, only the visible ones painted."""

from __future__ import annotations

from typing import Any

from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class StripView(ScrollView, can_focus=False):
    """Shows a Rich renderable rendered once (the cost counted where it is shown), scrolling both ways.

    A Static would render every line of its content again at each refresh of its own; here
    painting a frame copies the few strips on screen.
    """

    DEFAULT_CSS = """
    StripView {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.content: Any = ""
        """The renderable shown (for reading it back as text)."""
        self.strips: list[Strip] = []
        """Its lines, rendered."""

    def show(self, renderable: Any, width: int) -> None:
        """Render `renderable` at `width` columns now, and show it."""
        self.content = renderable
        console = self.app.console
        lines = console.render_lines(renderable, console.options.update(width=max(1, width), height=None), pad=False)
        base = self.rich_style  # the view's own colours under what the lines leave unset
        self.strips = [Strip(line).apply_style(base) for line in lines]
        self.virtual_size = Size(max((strip.cell_length for strip in self.strips), default=0), len(self.strips))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """One line on screen: its strip, cut to the view."""
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if index >= len(self.strips):
            return Strip.blank(width, self.rich_style)
        return self.strips[index].crop_extend(scroll_x, scroll_x + width, self.rich_style)

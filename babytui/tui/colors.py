"""The app's colour depth: what the terminal can show, or what --colors / $BABYTUI_COLORS force;
and, in 16 colours, every label kept legible.

Rich (under Textual) picks the depth from $COLORTERM and the end of $TERM ("-256color"), so
TERM=screen, GNU screen's default and tmux's old one, gets 16 colours although both draw 256.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:
    from rich.segment import Segment
    from rich.style import Style
    from textual.color import Color

COLORS_ENV = "BABYTUI_COLORS"
"""The environment variable that forces a colour depth, like --colors."""
COLOR_CHOICES = ("auto", "truecolor", "256", "16")
"""What --colors and $BABYTUI_COLORS accept."""
RICH_NAMES = {"truecolor": "truecolor", "256": "256", "16": "standard"}
"""Our names of the depths to Rich's."""


def detect_colors(environ: Mapping[str, str]) -> str:
    """The depth the terminal described by `environ` can show: 'truecolor', '256' or '16'."""
    colorterm = environ.get("COLORTERM", "").strip().lower()
    term = environ.get("TERM", "").strip().lower()
    if colorterm in ("truecolor", "24bit") or term.endswith("-direct"):
        return "truecolor"
    multiplexed = bool(environ.get("TMUX") or environ.get("STY")) or term.startswith(("screen", "tmux"))
    if multiplexed or term.endswith("256color") or term.startswith("kitty"):
        return "256"  # tmux and GNU screen draw 256 colours whatever TERM their inside says
    return "16"


def choose_colors(forced: str | None, environ: Mapping[str, str]) -> tuple[str, str | None]:
    """(depth, warning): --colors if given, else $BABYTUI_COLORS, else what the terminal can show.

    A $BABYTUI_COLORS that is not one of COLOR_CHOICES is ignored with a one-line warning.
    """
    warning = None
    wanted = forced
    if wanted is None:
        wanted = environ.get(COLORS_ENV, "").strip().lower() or None
        if wanted is not None and wanted not in COLOR_CHOICES:
            warning = f"${COLORS_ENV}={wanted!r} is not one of {', '.join(COLOR_CHOICES)}; choosing the colours by the terminal"
            wanted = None
    if wanted in (None, "auto"):
        return detect_colors(environ), warning
    return wanted, warning


def use_colors(console, depth: str) -> None:
    """Make the app's console write `depth` colours (Textual builds it before we can say)."""
    from rich.console import COLOR_SYSTEMS

    console._color_system = COLOR_SYSTEMS[RICH_NAMES[depth]]


@lru_cache(4096)
def legible_style(style: Style) -> Style:
    """The style as 16 colours show it, with a text colour that differs from its background.

    Muted text (a disabled button, a blurred border) can land on the same one of the 16 colours
    as the background it was blended from; it then becomes grey on black, or black on a light colour.
    """
    from rich.color import Color as RichColor
    from rich.color import ColorSystem
    from rich.style import Style as RichStyle

    if style.color is None or style.bgcolor is None:
        return style
    fg = style.color.downgrade(ColorSystem.STANDARD)
    bg = style.bgcolor.downgrade(ColorSystem.STANDARD)
    if fg.number != bg.number:
        return style
    dark = bg.number in (0, 1, 4, 5, 8)  # black, red, blue, magenta and grey want a light text
    replacement = (7 if bg.number == 8 else 8) if dark else 0
    return style + RichStyle(color=RichColor.from_ansi(replacement))


def legible_filter():
    """A Textual line filter that applies `legible_style` to every segment (for 16 colours)."""
    from rich.segment import Segment
    from textual.filter import LineFilter

    class Legible(LineFilter):
        """Keeps every label's colour apart from its background in 16 colours."""

        def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
            """The segments with legible styles."""
            return [
                Segment(text, legible_style(style), control) if style is not None and control is None else Segment(text, style, control)
                for text, style, control in segments
            ]

    return Legible()

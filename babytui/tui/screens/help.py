"""The help screen: what babytui is and every key."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from babytui.core.lessons import count_in_words

KEYS = (
    ("up / down  [ / ]", "move between lessons ([ and ] from anywhere but a field; ctrl+up / ctrl+down too)"),
    ("enter", "on a lesson: its settings, to edit them"),
    ("tab / shift+tab", "move between the sidebar, the lesson, its settings and the views"),
    ("escape  enter", "in a settings field: leave it, so the keys below work again"),
    ("r  F5", "run the lesson with these settings"),
    ("p  space  F6", "pause or resume"),
    ("s  F7", "one step: run exactly one batch, then wait"),
    ("x  F8", "stop after the current batch"),
    ("ctrl+r", "reset: forget this lesson's output, result and previous curve (asks first)"),
    ("0", "the lesson: its text, code and settings (beside the views when the screen is wide)"),
    ("1 to 5", "the log, loss plot, weights, predictions or confusion matrix (alt+0 to alt+8 in a field)"),
    ("6 to 8", "inside the network (g gradients, w what if, o your picture), training health, the layers"),
    ("z  escape", "let the views fill the screen, and back"),
    ("R", "runs: mark any number to compare (what differs, their curves), resume or delete one"),
    ("t", "LR range test of this image lesson; u then puts its suggested lr in the form"),
    ("+ / -", "double / halve the lr of the running image lesson from its next batch (or type one and enter)"),
    ("l  m", "on the loss plot: log10 of the loss; smoothing (auto, off, 0.9, 0.99, 0.999)"),
    ("n  b  w  a", "on the predictions: next / previous page, only the wrong ones, what the network is fed"),
    ("d  D", "choose the device (auto, then each one present) / the dataset of the image lessons"),
    ("ctrl+p", "command palette: every action by name"),
    ("?  F1", "this help"),
    ("q  ctrl+q", "quit (a run stops after its current batch and is saved; so does a hang-up)"),
)
"""(keys, what they do), in the order shown."""

def intro() -> str:
    """The paragraph above the keys."""
    return (
    f"babytui teaches PyTorch in {count_in_words()} runnable lessons, from a bare tensor to a "
    "convolutional network on CIFAR-10. Pick a lesson on the left, read it, change its "
    "settings and run it. A bad value is explained under its field and blocks the run. "
    "Each lesson keeps its own last output, and the app remembers your settings and results."
    )


class HelpScreen(ModalScreen[None]):
    """Keys and a short introduction; any of escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        """The introduction and the table of keys."""
        width = max(len(keys) for keys, _ in KEYS)
        rows: list = []
        for keys, what in KEYS:
            rows += [(f"{keys:<{width}}", "bold $accent"), f"  {what}\n"]
        with VerticalScroll(id="help"):
            yield Static("babytui: learn PyTorch by doing", id="help-title")
            yield Static(intro(), id="help-intro")
            yield Static(Content.assemble(*rows).rstrip(), id="help-keys")
            yield Static("escape closes this screen", id="help-close")

    def on_mount(self) -> None:
        """Give the box a title."""
        self.query_one("#help").border_title = "Help"

    async def action_dismiss(self, result: None = None) -> None:
        """Close the help."""
        self.dismiss(None)

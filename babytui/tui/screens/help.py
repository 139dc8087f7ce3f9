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
    ("up / down", "move between lessons in the sidebar"),
    ("[ / ]  ctrl+up / ctrl+down", "previous / next lesson, from anywhere"),
    ("tab / shift+tab", "move between the sidebar, the settings and the output"),
    ("r  F5", "run the lesson with these settings"),
    ("p  space", "pause or resume"),
    ("s", "one step: run exactly one batch, then wait"),
    ("x  escape", "stop after the current batch"),
    ("0  ctrl+r", "reset: forget this lesson's results; the next run starts afresh"),
    ("1 to 5", "show the log, loss plot, weights, predictions or confusion matrix"),
    ("z", "let the output fill the screen, and back"),
    ("R", "runs: mark any number to compare (what differs, their curves), resume or delete one"),
    ("t", "LR range test of this image lesson; u then puts its suggested lr in the form"),
    ("+ / -", "double / halve the lr of the running image lesson from its next batch (or type one and enter)"),
    ("l  m", "on the loss plot: log10 of the loss; smoothing (auto, off, 0.9, 0.99, 0.999)"),
    ("d", "choose the device: auto, then each one present"),
    ("D", "choose the dataset of the image lessons"),
    ("ctrl+p", "command palette: every action by name"),
    ("?", "this help"),
    ("q  ctrl+q", "quit (a run stops after its current batch)"),
)
"""(keys, what they do), in the order shown."""

def intro() -> str:
    """The paragraph above the keys."""
    return (
    f"babytui teaches PyTorch in {count_in_words()} runnable lessons, from a bare tensor to a "
    "convolutional network on CIFAR-10. Pick a lesson on the left, read it, change its "
    "settings and run it. A bad value is explained under its field and blocks the run."
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

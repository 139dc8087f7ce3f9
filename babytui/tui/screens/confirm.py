"""A yes/no question over the screen, for what cannot be undone."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmScreen(ModalScreen[bool]):
    """Asks one question; y answers yes, n or escape no (the safe answer)."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen #confirm {
        width: 64; max-width: 90%; height: auto;
        border: round $error; border-title-color: $error; background: $surface; padding: 1 2;
    }
    ConfirmScreen #confirm-keys { color: $text-muted; padding-top: 1; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, question: str) -> None:
        super().__init__()
        self.title_text = title
        """The box's title."""
        self.question = question
        """What is asked, in full."""

    def compose(self) -> ComposeResult:
        """The question and its keys."""
        with Vertical(id="confirm"):
            yield Static(self.question, id="confirm-question", markup=False)  # it may name a run read from disk
            yield Static("y: yes    n or escape: no", id="confirm-keys")

    def on_mount(self) -> None:
        """Title the box."""
        self.query_one("#confirm").border_title = self.title_text

    def action_answer(self, yes: bool) -> None:
        """Close with the answer."""
        self.dismiss(yes)

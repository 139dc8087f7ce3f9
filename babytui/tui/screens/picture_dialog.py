"""Asking for a picture file of the learner's own, for the trained network to classify."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class PictureDialog(ModalScreen[str | None]):
    """A path field over the screen: enter opens the picture, escape closes without one."""

    DEFAULT_CSS = """
    PictureDialog { align: center middle; }
    PictureDialog #picture {
        width: 72; max-width: 95%; height: auto;
        border: round $border; border-title-color: $text-primary; background: $surface; padding: 1 2;
    }
    PictureDialog #picture-keys { color: $text-muted; padding-top: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, last: str = "") -> None:
        super().__init__()
        self.last = last
        """The path given last time, to start from."""

    def compose(self) -> ComposeResult:
        """The question, the field and its keys."""
        with Vertical(id="picture"):
            yield Static("A picture of yours (any size; png, jpg, ...), made 32x32 as the folder dataset does:")
            yield Input(self.last, placeholder="~/pictures/cat.jpg", id="picture-path")
            yield Static("enter: classify it    escape: cancel", id="picture-keys")

    def on_mount(self) -> None:
        """Title the box and put the keys in the field."""
        self.query_one("#picture").border_title = "Your own picture"
        self.query_one(Input).focus()

    def on_input_submitted(self, message: Input.Submitted) -> None:
        """Close with the path typed."""
        message.stop()
        self.dismiss(message.value.strip() or None)

    def action_cancel(self) -> None:
        """Close without a picture."""
        self.dismiss(None)

"""The architecture card of the lesson shown: per layer its output shape, its parameters with the
arithmetic, its multiply-adds, and the totals. The core measures it on the real model (forward
hooks, on torch's meta device) in a thread worker whenever the lesson or its settings change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from babytui.core.events import RunStarted


def card_renderable(card: Any) -> Group:
    """A card as a table with its totals and a line on what is counted."""
    from babytui.core.architecture import shape_text

    table = Table(box=None, padding=(0, 1), header_style="bold", show_footer=True, footer_style="bold")
    table.add_column("layer", footer="total")
    table.add_column("does")
    table.add_column("output", footer="")
    table.add_column("parameters", justify="right", footer=f"{card.parameters:,}")
    table.add_column("multiply-adds", justify="right", footer=f"{card.multiply_adds:,}")
    for row in card.rows:
        quiet = "dim" if not row.parameters and not row.multiply_adds else ""
        table.add_row(
            Text(row.name, style=quiet or "bold"), Text(row.does, style=quiet), shape_text(row.output),
            row.arithmetic, f"{row.multiply_adds:,}" if row.multiply_adds else "",
        )
    title = Text.assemble(
        (f"Lesson {card.lesson}: {card.title}", "bold"),
        f"  ·  one input of {shape_text(card.input)}  ·  {card.parameters:,} parameters  ·  {card.multiply_adds:,} multiply-adds per input",
    )
    note = Text(
        "Measured on the model itself with forward hooks. Parameters: each tensor's shape, weights then bias. "
        "Multiply-adds: each output number of a convolution or linear layer sums one product per input it reads "
        "(bias adds not counted). The same card: babytui lessons N (--json).",
        style="dim",
    )
    return Group(title, Text(), table, Text(), note)


class ArchitectureCard(VerticalScroll):
    """The card of the lesson and settings shown (the class count of the last run of it)."""

    DEFAULT_CSS = """
    ArchitectureCard {
        height: 1fr;
        padding: 0 1;
    }
    """

    @dataclass
    class Measured(Message):
        """A card came back from the worker."""

        key: tuple
        card: Any
        error: str = ""

    def __init__(self) -> None:
        super().__init__(id="architecture-card")
        self.lesson: Any = None
        """The lesson whose card is asked for."""
        self.settings: Any = None
        """Its settings."""
        self.class_counts: dict[int, int] = {}
        """Classes of the last run of each lesson (its dataset's), 10 before any run."""
        self.card: Any = None
        """The card shown."""
        self._shown: tuple = ()
        self._busy = False

    def compose(self):
        """The card."""
        yield Static("The card of the lesson's network appears here.", id="card-body")

    def on_show(self) -> None:
        """Brought to the front: measure the card if the lesson changed meanwhile."""
        self.measure()

    def handle_event(self, event: Any) -> None:
        """A run's dataset sets how many classes the last layer has."""
        if isinstance(event, RunStarted) and event.classes:
            self.class_counts[event.lesson] = len(event.classes)
            self.measure()

    def show_for(self, lesson: Any, settings: Any) -> None:
        """The lesson shown and its settings (None while a value in the form is bad)."""
        self.lesson = lesson
        if settings is not None:
            self.settings = settings
        elif self.settings is not None and getattr(self.lesson, "number", None) != getattr(lesson, "number", None):
            self.settings = None
        self.measure()

    @property
    def key(self) -> tuple:
        """What the card depends on."""
        number = getattr(self.lesson, "number", 0)
        return (number, self.settings, self.class_counts.get(number, 10))

    def measure(self) -> None:
        """Measure the card in a thread if what it depends on changed and it is on screen."""
        if self.lesson is None or self._busy or not self.is_mounted or self.region.area == 0 or self.key == self._shown:
            return
        body = self.query_one("#card-body", Static)
        if self.settings is None:
            body.update(Text("Fix the settings first: the card follows them.", style="dim"))
            return
        key, lesson, settings = self.key, self.lesson, self.settings
        self._busy = True
        self.run_worker(lambda: self._measure(key, lesson, settings), thread=True, group="card", exit_on_error=False)

    def _measure(self, key: tuple, lesson: Any, settings: Any) -> None:
        """The worker: the core builds the model on the meta device and traces it."""
        try:
            from babytui.core.architecture import lesson_card

            self.post_message(self.Measured(key, lesson_card(lesson, settings, key[2])))
        except Exception as exc:  # a model that cannot be traced says so; the app goes on
            self.post_message(self.Measured(key, None, f"{type(exc).__name__}: {exc}"))

    def on_architecture_card_measured(self, message: Measured) -> None:
        """Show the card, then measure again if the lesson changed meanwhile."""
        self._busy = False
        self._shown = message.key
        body = self.query_one("#card-body", Static)
        if message.error:
            body.update(Text(f"The card could not be measured: {message.error}", style="red"))
        elif message.card is None:
            body.update(Text(f"Lesson {message.key[0]} has no model: nothing to learn, so no layers.", style="dim"))
        else:
            self.card = message.card
            body.update(card_renderable(message.card))
        self.measure()

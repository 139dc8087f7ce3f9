"""The confusion matrix of the test split, with each class's accuracy, after every epoch."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.containers import ScrollableContainer
from textual.widgets import Static

from babytui.core.events import EpochEnded, RunStarted
from babytui.core.formatting import printable
from babytui.core.lessons import lesson_range
from ..render import RGB, rgb_style, sequential_color, text_color_on

def empty_text() -> str:
    """What the view says before any run."""
    return f"Run an image lesson ({lesson_range(image_only=True)}) to see which classes the model confuses, after each epoch."
LABEL_WIDTH = 11
"""Columns of the row labels (the true class)."""


def confusion_lines(
    confusion: tuple[tuple[int, ...], ...], classes: tuple[str, ...], low: RGB, high: RGB
) -> list[Text]:
    """The matrix as lines: rows are true classes, columns predictions, coloured by the share of the row.

    Colouring by the share of the row (not the raw count) shows where each true class goes even
    when the classes differ in size; the last column is each class's accuracy.
    """
    n = len(confusion)
    names = [printable(classes[i]) if i < len(classes) else str(i) for i in range(n)]  # folder names: escaped
    biggest = max((c for row in confusion for c in row), default=0)
    cell = max(4, len(str(biggest)) + 1)
    header = Text(" " * LABEL_WIDTH)
    for name in names:
        header.append(name[: cell - 1].rjust(cell - 1) + " ", style="bold")
    header.append(" accuracy", style="bold")
    shares = [[c / sum(row) if sum(row) else 0.0 for c in row] for row in confusion]
    top_share = max((v for row in shares for v in row), default=0.0) or 1.0  # the full colour range in use
    lines = [header]
    total_right = total = 0
    for i, row in enumerate(confusion):
        row_total = sum(row)
        line = Text(names[i][: LABEL_WIDTH - 1].ljust(LABEL_WIDTH), style="bold")
        for j, count in enumerate(row):
            bg = sequential_color(shares[i][j] / top_share, low, high)
            style = rgb_style(text_color_on(bg), bg) + Style(bold=i == j)
            line.append(str(count).rjust(cell - 1) + " ", style=style)
        accuracy = 100.0 * row[i] / row_total if row_total else 0.0
        line.append(f"   {accuracy:5.1f}%")
        lines.append(line)
        total_right += row[i]
        total += row_total
    overall = 100.0 * total_right / total if total else 0.0
    lines.append(Text())
    lines.append(Text(f"overall {overall:.1f}% of {total:,} test images right", style="dim"))
    return lines


class ConfusionMatrix(ScrollableContainer, can_focus=True):
    """Counts of (true class, predicted class) on the test split, coloured, with per-class accuracy."""

    DEFAULT_CSS = """
    ConfusionMatrix {
        height: 1fr;
        padding: 0 1;
    }
    """

    def __init__(self) -> None:
        super().__init__(id="confusion-matrix")
        self.confusion: tuple[tuple[int, ...], ...] = ()
        """confusion[true][predicted] of the latest scored epoch."""
        self.class_names: tuple[str, ...] = ()
        """Class names, from RunStarted."""
        self.epoch = 0
        """The epoch the matrix belongs to."""
        self.empty_text = empty_text()
        """What the view says when there is no matrix."""

    def compose(self):
        """The table as one static text."""
        yield Static(empty_text(), id="confusion-table")

    def handle_event(self, event: Any) -> None:
        """A new run clears the matrix; each scored epoch replaces it."""
        if isinstance(event, RunStarted):
            self.class_names = tuple(event.classes)
            self.confusion = ()
            self.empty_text = (
                "The confusion matrix appears when the first epoch has been scored on the test split."
                if event.classes
                else f"Lesson {event.lesson} has no classes: the confusion matrix is for the image lessons, {lesson_range(image_only=True)}."
            )
            self.update_view()
        elif isinstance(event, EpochEnded) and event.confusion:
            self.confusion = event.confusion
            self.epoch = event.epoch
            self.update_view()

    def reset(self) -> None:
        """Forget the matrix."""
        self.confusion = ()
        self.empty_text = empty_text()
        self.update_view()

    def update_view(self) -> None:
        """Draw the matrix, or say why there is none."""
        table = self.query_one("#confusion-table", Static)
        if not self.confusion:
            table.styles.width = "1fr"
            table.update(Text(self.empty_text, style="dim"))
            return
        variables = self.app.theme_variables
        low = Color.parse(variables.get("surface", "#1e1e1e")).rgb
        high = Color.parse(variables.get("primary", "#0178d4")).rgb
        title = Text.assemble(
            (f"Test split after epoch {self.epoch}", "bold"), ("   rows: true class, columns: predicted", "dim")
        )
        lines = [title, *confusion_lines(self.confusion, self.class_names, low, high)]
        for line in lines:
            line.no_wrap = True
        table.styles.width = max(line.cell_len for line in lines)  # wider than the view: it scrolls
        table.update(Group(*lines))

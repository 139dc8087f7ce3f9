"""The marked runs side by side: only the settings that differ between them, then their results,
the best of any epoch beside the last (what `babytui runs --compare` prints)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import DataTable

from ..curves import PlotColours
from ..render import rgb_style


class RunComparison(DataTable):
    """A row per differing setting and per result, a column per marked run; hidden below two."""

    DEFAULT_CSS = """
    RunComparison { height: auto; max-height: 40%; margin: 1 0 0 0; display: none; }
    """

    @dataclass
    class Compared(Message):
        """The runs were compared (in a thread)."""

        ids: tuple[str, ...]
        """The runs, in the order marked."""
        comparison: Any
        """The core's Comparison, None when it failed."""
        problem: str = ""
        """Why the runs could not be compared."""

    def __init__(self) -> None:
        super().__init__(id="runs-compare", cursor_type="none", zebra_stripes=True, show_cursor=False)
        self.ids: tuple[str, ...] = ()
        """The runs shown (or being read)."""
        self.comparison: Any = None
        """The Comparison shown, None when hidden."""
        self.hidden_by_user = False
        """True once the c key hid the table (it stays filled, only out of sight)."""

    def compare(self, ids: tuple[str, ...], home: Path) -> None:
        """Compare these runs of the store in `home` (read in a thread), then show them."""
        self.ids = ids
        self.read(ids, home)

    @work(thread=True, exclusive=True, exit_on_error=False, group="runs-compare")
    def read(self, ids: tuple[str, ...], home: Path) -> None:
        """Read the runs' settings and metrics off the interface thread."""
        from babytui.core.errors import BabytuiError
        from babytui.core.runs import RunStore, compare_runs

        try:
            self.post_message(self.Compared(ids, compare_runs(ids, RunStore(home))))
        except BabytuiError as exc:
            self.post_message(self.Compared(ids, None, str(exc)))

    def on_run_comparison_compared(self, message: Compared) -> None:
        """Show the comparison, unless the marks changed meanwhile."""
        if message.ids != self.ids:
            return
        if message.comparison is None:
            self.notify(message.problem, title="Cannot compare", severity="error")
        self.show(message.comparison)

    def show(self, comparison: Any) -> None:
        """Fill the table with a Comparison (None hides it)."""
        self.comparison = comparison
        self.clear(columns=True)
        self.display = comparison is not None and not self.hidden_by_user
        if comparison is None:
            return
        colours = PlotColours().runs
        self.add_column("", key="label")
        for i, run in enumerate(comparison.runs):
            self.add_column(Text(f"[{i + 1}] {run.id[-8:]}", style=rgb_style(colours[i % len(colours)])), key=run.id)
        settings = len(comparison.differing)
        for n, (label, cells) in enumerate(comparison.rows()):
            style = "bold" if n < settings else ""
            self.add_row(Text(label, style=style or "dim"), *(Text(cell, style=style) for cell in cells))
        if not settings:
            self.add_row(Text("settings", style="bold"), *(Text("the same") for _ in comparison.runs))

"""The runs screen: every saved run in a table; mark two to overlay their loss curves, resume one, delete one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual_plotext import PlotextPlot

from ..render import downsample
from .confirm import ConfirmScreen

COLUMNS = ("", "status", "id", "lesson", "result", "time", "date", "device", "settings")
"""The table's columns: a mark, then those of `babytui runs`, the status first and the settings
(the longest, cut first) last, so that everything else fits 120 columns."""
MARK_WIDTH = 3
"""Columns of the mark, "[1]" or "[2]"."""
COLORS = ("cyan", "orange")
"""The two compared runs' colours, in the order they were marked."""
SETTINGS_WIDTH = 30
"""Characters of the changed settings shown; `babytui runs --csv` has them all."""
MAX_MARKED = 2
"""Runs compared at once."""


def loss_series(run: Any) -> tuple[list[float], list[float]]:
    """A run's training loss by step, from its metrics file (empty when it has none)."""
    losses = run.metrics().losses
    return [float(s) for s, _ in losses], [v for _, v in losses]


class RunsScreen(Screen[Any]):
    """Saved runs: space marks up to two to compare, enter resumes the highlighted one (dismissed with its row)."""

    @dataclass
    class Listed(Message):
        """The runs were read (in a thread)."""

        rows: list[Any]
        """A RunSummary per run, newest first."""
        root: str
        """The runs folder."""
        problem: str
        """Why the folder could not be read, if it could not."""

    @dataclass
    class Deleted(Message):
        """A run was deleted, or could not be."""

        run_id: str
        """The run."""
        problem: str = ""
        """Why it was not deleted, empty when it was."""

    DEFAULT_CSS = """
    RunsScreen #runs { border: round $primary; border-title-color: $accent; height: 1fr; }
    RunsScreen #runs-table { height: auto; max-height: 50%; min-height: 4; }
    RunsScreen #runs-help { height: auto; color: $text-muted; padding: 0 1; }
    RunsScreen #runs-plot { height: 1fr; min-height: 8; }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("space", "mark", "Mark to compare"),
        Binding("enter", "resume", "Resume", priority=True),
        Binding("d,delete", "delete", "Delete"),
        Binding("home", "first_row", "First", show=False, priority=True),
        Binding("end", "last_row", "Last", show=False, priority=True),
        Binding("f5,ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, Any] = {}
        """RunSummary of each listed run, by id."""
        self.marked: list[str] = []
        """Ids of the runs marked to compare, oldest mark first."""
        self.plotted: tuple[str, ...] = ()
        """Ids whose curves the plot shows now."""
        self.root: Path | None = None
        """The runs folder the table was read from."""
        self._series: dict[str, tuple[list[float], list[float]]] = {}

    def compose(self) -> ComposeResult:
        """The table, a line of help, the plot of the compared runs and the keys."""
        with Vertical(id="runs"):
            yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="runs-help")
            yield PlotextPlot(id="runs-plot")
        yield Footer()

    def on_mount(self) -> None:
        """Columns, then the runs (read in a thread: metrics files can be long)."""
        self.query_one("#runs").border_title = "Runs"
        table = self.query_one(DataTable)
        for title in COLUMNS:
            table.add_column(title, key=title or "mark", width=MARK_WIDTH if not title else None)
        self.load_runs()

    @work(thread=True, exclusive=True, exit_on_error=False, group="runs")
    def load_runs(self) -> None:
        """Read every run's summary off the interface thread."""
        from babytui.core.errors import BabytuiError
        from babytui.core.runs import RunStore

        try:
            store = RunStore()
            rows = list(reversed(store.summaries()))  # newest first
            self.post_message(self.Listed(rows, str(store.root), ""))
        except BabytuiError as exc:
            self.post_message(self.Listed([], "", str(exc)))

    def on_runs_screen_listed(self, message: Listed) -> None:
        """Show the runs read."""
        self.show_rows(message.rows, message.root, message.problem)

    def show_rows(self, rows: list[Any], root: str, problem: str) -> None:
        """Fill the table with these runs."""
        from babytui.core.runs import TABLE_HEADER

        table = self.query_one(DataTable)
        table.clear()
        self.rows = {row.id: row for row in rows}
        self.root = Path(root) if root else None
        self._series.clear()  # a reload may find runs that grew since
        self.marked = [m for m in self.marked if m in self.rows]
        for row in rows:
            cells = dict(zip(TABLE_HEADER, row.cells()))
            settings = cells["settings"]
            cells["settings"] = settings if len(settings) <= SETTINGS_WIDTH else settings[: SETTINGS_WIDTH - 1] + "…"
            cells["date"] = cells["date"][5:]  # 11-29 12:19: the year is rarely news, and the rest must fit
            table.add_row(self._mark(row.id), *(cells[name] for name in COLUMNS[1:]), key=row.id)
        if problem:
            text = problem
        elif not rows:
            text = f"No runs saved yet (they go to {root}). Run a lesson and it appears here."
        else:
            text = (
                "space marks two runs to compare their loss curves; enter resumes a stopped or crashed run; "
                "d deletes one; escape closes."
            )
        self.query_one("#runs-help", Static).update(text)
        self.draw()

    def _mark(self, run_id: str) -> str:
        return f"[{self.marked.index(run_id) + 1}]" if run_id in self.marked else ""

    @property
    def highlighted(self) -> str | None:
        """The id of the run under the cursor."""
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= table.row_count:
            return None
        return str(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)

    def action_mark(self) -> None:
        """Mark or unmark the highlighted run; a third mark replaces the oldest."""
        run_id = self.highlighted
        if run_id is None:
            return
        if run_id in self.marked:
            self.marked.remove(run_id)
        else:
            self.marked.append(run_id)
            if len(self.marked) > MAX_MARKED:
                self.marked.pop(0)
        table = self.query_one(DataTable)
        for key in self.rows:
            table.update_cell(key, "mark", self._mark(key))
        self.draw()

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        """With nothing marked, the plot follows the cursor."""
        if not self.marked:
            self.draw()

    def on_data_table_row_selected(self, message: DataTable.RowSelected) -> None:
        """Enter on a row resumes it (the table takes enter before the screen's binding)."""
        message.stop()
        self.action_resume()

    def draw(self) -> None:
        """Plot the marked runs' training loss (or the highlighted run's), down-sampled."""
        from babytui.core.runs import Run

        highlighted = self.highlighted
        ids = tuple(self.marked) or ((highlighted,) if highlighted else ())
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("training loss by step" + (": marked runs" if self.marked else ""))
        plt.xlabel("step")
        width = max(20, plot.size.width or 80)
        for color, run_id in zip(COLORS, ids):
            if run_id not in self._series and self.root is not None:
                # read a metrics file once, not at every move of the cursor
                self._series[run_id] = loss_series(Run(self.root / run_id))
            steps, losses = self._series.get(run_id, ([], []))
            if not steps:
                continue
            xs, ys = downsample(steps, losses, width)
            label = f"{run_id[-8:]} lesson {self.rows[run_id].lesson}" if run_id in self.rows else run_id
            plt.plot(list(xs), list(ys), label=label, color=color, marker="braille")
        self.plotted = ids
        plot.refresh()

    def action_resume(self) -> None:
        """Close and ask the app to resume the highlighted run."""
        run_id = self.highlighted
        if run_id is None:
            return
        row = self.rows[run_id]
        if not row.resumable:
            why = {
                "finished": "it finished",
                "running": "it is running now",
                "unreadable": row.problem or "it cannot be read",
            }.get(row.status, "it has no checkpoint (lessons 1-9 run in moments: run them again)")
            self.notify(f"Run {run_id} cannot be resumed: {why}.", severity="warning")
            return
        self.dismiss(row)

    def action_delete(self) -> None:
        """Ask, then delete the highlighted run (its settings, metrics and checkpoint)."""
        run_id = self.highlighted
        if run_id is None:
            return
        row = self.rows[run_id]
        if row.status == "running":
            self.notify(f"Run {run_id} is running now; stop it first.", severity="warning")
            return
        what = f"lesson {row.lesson or '?'}, {row.status}" + (f", {row.result}" if row.result != "-" else "")
        question = f"Delete run {run_id} ({what})? Its settings, metrics and checkpoint go, and cannot be brought back."

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete_run(run_id)

        self.app.push_screen(ConfirmScreen("Delete run", question), answered)

    @work(thread=True, exit_on_error=False, group="runs-delete")
    def delete_run(self, run_id: str) -> None:
        """Delete a run off the interface thread, say so, and list the runs again."""
        from babytui.core.errors import BabytuiError
        from babytui.core.runs import RunStore

        try:
            store = RunStore()
            store.delete(store.find(run_id))
        except BabytuiError as exc:
            self.post_message(self.Deleted(run_id, str(exc)))
            return
        self.post_message(self.Deleted(run_id))

    def on_runs_screen_deleted(self, message: Deleted) -> None:
        """Say what became of the run, and list the runs again."""
        if message.problem:
            self.notify(message.problem, title="Not deleted", severity="error")
            return
        self.notify(f"Deleted run {message.run_id}.")
        self.load_runs()

    def action_first_row(self) -> None:
        """Home: the newest run (not the table's left edge)."""
        self.query_one(DataTable).move_cursor(row=0)

    def action_last_row(self) -> None:
        """End: the oldest run (not the table's right edge)."""
        table = self.query_one(DataTable)
        table.move_cursor(row=max(0, table.row_count - 1))

    def action_reload(self) -> None:
        """Read the runs again."""
        self.load_runs()

    def action_close(self) -> None:
        """Back to the lessons."""
        self.dismiss(None)

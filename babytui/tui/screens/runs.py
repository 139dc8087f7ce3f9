"""The runs screen: every saved run in a table; mark any number to overlay their curves and set
their differing settings and results side by side; resume one, delete one."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual_plotext import PlotextPlot

from babytui.core.formatting import printable

from ..curves import SMOOTHING_CHOICES, PlotColours, draw_runs, smoothing_name
from ..render import np, rgb_style
from ..widgets.run_comparison import RunComparison
from .confirm import ConfirmScreen

COLUMNS = ("", "status", "id", "lesson", "result", "time", "date", "device", "settings")
"""The table's columns: a mark, then those of `babytui runs`, the status first and the settings
(the longest, cut first) last, so that everything else fits 120 columns."""
MARK_WIDTH = 3
"""Columns of the mark, "[1]" or "[2]"."""
SETTINGS_WIDTH = 30
"""Characters of the changed settings shown; `babytui runs --csv` has them all."""
METRICS = (("loss", "training loss"), ("test_accuracy", "test accuracy %"), ("val_accuracy", "validation accuracy %"))
"""What the plot can show (a key cycles): the loss of every step, or an accuracy per epoch."""
X_AXES = ("step", "epoch", "time")
"""What the plot's x axis can be (a key cycles): comparable across batch sizes by epoch, speeds by time."""


@dataclass
class RunSeries:
    """What the plot needs of one run, read from its metrics file in a thread."""

    losses: list[tuple[int, float]] = field(default_factory=list)
    """(step, training loss) of every update."""
    epochs: list[dict[str, Any]] = field(default_factory=list)
    """Its epoch records."""
    times: list[tuple[int, float]] = field(default_factory=list)
    """(step, training seconds) now and then."""
    steps_per_epoch: int = 0
    """Updates in an epoch (0 when unknown)."""


def read_series(run: Any) -> RunSeries:
    """A run's metrics file as the plot's series (slow for long runs: call it in a thread)."""
    metrics = run.metrics()
    per_epoch = int((metrics.start or {}).get("steps_per_epoch") or 0)
    return RunSeries(metrics.losses, metrics.epochs, metrics.times, per_epoch)


def series_xy(series: RunSeries, metric: str, x_axis: str) -> tuple[Any, Any]:
    """The run's curve for a metric against an x axis, as arrays."""
    if metric == "loss":
        steps = np.array([s for s, _ in series.losses], dtype=np.float64)
        ys = np.array([v for _, v in series.losses], dtype=np.float64)
    else:
        scored = [e for e in series.epochs if isinstance(e.get(metric), (int, float))]
        steps = np.array([float(e.get("step", 0)) for e in scored], dtype=np.float64)
        ys = np.array([float(e[metric]) for e in scored], dtype=np.float64)
    if x_axis == "epoch":
        return (steps / series.steps_per_epoch if series.steps_per_epoch else steps), ys
    if x_axis == "time" and series.times:
        known = np.array(series.times, dtype=np.float64)
        return np.interp(steps, np.concatenate([[0.0], known[:, 0]]), np.concatenate([[0.0], known[:, 1]])), ys
    return steps, ys


class RunsScreen(Screen[Any]):
    """Saved runs: space marks runs to compare, enter resumes the highlighted one (dismissed with its row)."""

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

    @dataclass
    class SeriesRead(Message):
        """Some runs' metrics files were read (in a thread)."""

        series: dict[str, RunSeries]
        """Run id to what the plot needs of it."""

    DEFAULT_CSS = """
    RunsScreen #runs { border: round $primary; border-title-color: $accent; height: 1fr; }
    RunsScreen #runs-table { height: auto; max-height: 30%; min-height: 4; }
    RunsScreen #runs-help { height: auto; color: $text-muted; padding: 0 1; }
    RunsScreen #runs-plot { height: 1fr; min-height: 8; }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("space", "mark", "Mark to compare"),
        Binding("enter", "resume", "Resume", priority=True),
        Binding("d,delete", "delete", "Delete"),
        Binding("a", "cycle_metric", "Loss/accuracy"),
        Binding("x", "cycle_x", "x: step/epoch/time"),
        Binding("m", "smoothing", "Smoothing"),
        Binding("c", "toggle_comparison", "Table", show=False),
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
        self.metric = METRICS[0][0]
        """What the plot shows: 'loss', 'test_accuracy' or 'val_accuracy'."""
        self.x_axis = X_AXES[0]
        """What its x axis is: 'step', 'epoch' or 'time'."""
        self.smoothing: float | None = None
        """The loss curves' smoothing (None: by each run's length; 0: none)."""
        self._series: dict[str, RunSeries] = {}
        self._reading: set[str] = set()

    def compose(self) -> ComposeResult:
        """The table, a line of help, the comparison of the marked runs, their plot and the keys."""
        with Vertical(id="runs"):
            yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="runs-help")
            yield RunComparison()
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
        except Exception as exc:  # noqa: BLE001  (an empty table with no word is the worst answer)
            self.post_message(self.Listed([], "", f"cannot list the runs: {type(exc).__name__}: {exc}"))

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
            table.add_row(self._mark(row.id), *(Text(cells[name]) for name in COLUMNS[1:]), key=row.id)  # not markup: names from disk
        if problem:
            text = problem
        elif not rows:
            text = f"No runs saved yet (they go to {root}). Run a lesson and it appears here."
        else:
            text = (
                "space marks runs to compare (any number); c: their table, a: loss or accuracy, x: by step, epoch "
                "or time, m: smoothing; enter resumes a stopped or crashed run; d deletes one; escape closes."
            )
        self.query_one("#runs-help", Static).update(Text(printable(text)))
        self.compare()
        self.draw()

    def _mark(self, run_id: str) -> Text | str:
        """The mark cell: the run's number among the marked, in its colour on the plot."""
        if run_id not in self.marked:
            return ""
        index = self.marked.index(run_id)
        colours = PlotColours().runs
        return Text(f"[{index + 1}]", style=rgb_style(colours[index % len(colours)]))

    @property
    def highlighted(self) -> str | None:
        """The id of the run under the cursor."""
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= table.row_count:
            return None
        return str(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)

    def action_mark(self) -> None:
        """Mark or unmark the highlighted run."""
        run_id = self.highlighted
        if run_id is None:
            return
        if run_id in self.marked:
            self.marked.remove(run_id)
        else:
            self.marked.append(run_id)
        table = self.query_one(DataTable)
        for key in self.rows:
            table.update_cell(key, "mark", self._mark(key))
        self.compare()
        self.draw()

    def compare(self) -> None:
        """Set the marked runs side by side (two or more), read in a thread."""
        comparison = self.query_one(RunComparison)
        if len(self.marked) < 2 or self.root is None:
            comparison.ids = ()
            comparison.show(None)
            return
        comparison.compare(tuple(self.marked), self.root.parent)

    def action_toggle_comparison(self) -> None:
        """Hide or show the table of the marked runs (the plot gets its room on a small terminal)."""
        comparison = self.query_one(RunComparison)
        comparison.hidden_by_user = not comparison.hidden_by_user
        comparison.show(comparison.comparison)

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        """With nothing marked, the plot follows the cursor."""
        if not self.marked:
            self.draw()

    def on_data_table_row_selected(self, message: DataTable.RowSelected) -> None:
        """Enter on a row resumes it (the table takes enter before the screen's binding)."""
        message.stop()
        self.action_resume()

    def draw(self) -> None:
        """Plot the marked runs (or the highlighted run), reading any not read yet in a thread first."""
        highlighted = self.highlighted
        ids = tuple(self.marked) or ((highlighted,) if highlighted else ())
        self.plotted = ids
        missing = [run_id for run_id in ids if run_id not in self._series and run_id not in self._reading]
        if missing and self.root is not None:
            self._reading.update(missing)
            self.read_series(missing, self.root)
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        plt.clear_figure()
        label = dict(METRICS)[self.metric]
        plt.title(f"{label} by {self.x_axis}" + (": marked runs" if self.marked else ""))
        shown = [
            (printable(f"[{i + 1}] {run_id[-8:]}" if self.marked else run_id[-8:]), *series_xy(self._series[run_id], self.metric, self.x_axis))
            for i, run_id in enumerate(ids)
            if run_id in self._series
        ]
        smoothing = self.smoothing if self.metric == "loss" else 0.0
        xlabel = "training seconds" if self.x_axis == "time" else self.x_axis
        draw_runs(plt, shown, max(20, plot.size.width or 80), xlabel=xlabel, ylabel=label, smoothing=smoothing, points=self.metric != "loss")
        plot.refresh()

    @work(thread=True, exit_on_error=False, group="runs-series")
    def read_series(self, ids: list[str], root: Path) -> None:
        """Read runs' metrics files off the interface thread."""
        from babytui.core.runs import Run

        self.post_message(self.SeriesRead({run_id: read_series(Run(root / run_id)) for run_id in ids}))

    def on_runs_screen_series_read(self, message: SeriesRead) -> None:
        """Keep what was read and draw it."""
        self._series.update(message.series)
        self._reading.difference_update(message.series)
        self.draw()

    def action_cycle_metric(self) -> None:
        """Plot the training loss, the test accuracy or the validation accuracy."""
        names = [name for name, _ in METRICS]
        self.metric = names[(names.index(self.metric) + 1) % len(names)]
        self.draw()

    def action_cycle_x(self) -> None:
        """Plot against the step, the epoch or the training time."""
        self.x_axis = X_AXES[(X_AXES.index(self.x_axis) + 1) % len(X_AXES)]
        self.draw()

    def action_smoothing(self) -> None:
        """Step through the loss curves' smoothing: auto, off, 0.9, 0.99, 0.999."""
        index = SMOOTHING_CHOICES.index(self.smoothing) if self.smoothing in SMOOTHING_CHOICES else 0
        self.smoothing = SMOOTHING_CHOICES[(index + 1) % len(SMOOTHING_CHOICES)]
        self.notify(f"smoothing: {smoothing_name(self.smoothing)}", timeout=2)
        self.draw()

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
            self.notify(printable(f"Run {run_id} cannot be resumed: {why}."), severity="warning", markup=False)
            return
        self.dismiss(row)

    def action_delete(self) -> None:
        """Ask, then delete the highlighted run (its settings, metrics and checkpoint)."""
        run_id = self.highlighted
        if run_id is None:
            return
        row = self.rows[run_id]
        if row.status == "running":
            self.notify(printable(f"Run {run_id} is running now; stop it first."), severity="warning", markup=False)
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
            self.notify(printable(message.problem), title="Not deleted", severity="error", markup=False)
            return
        self.notify(printable(f"Deleted run {message.run_id}."), markup=False)
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

"""The weight inspector: every parameter's statistics, live, and the values of the one selected."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import ScrollableContainer, Vertical
from textual.widgets import DataTable, Static

from babytui.core.events import RunStarted, WeightsSnapshot
from .summary_line import SummaryLine
from ..pacing import DRAW_SHARE, Pacer
from ..render import (
    np,
    compact,
    diverging_lines,
    filter_lines,
    half_block_lines,
    norm,
    normalise_filter,
    number_lines,
    number_width,
    stats,
)

REDRAW_INTERVAL = 0.5
"""Seconds between table updates while snapshots arrive, at the least (a slow update waits longer)."""
MAX_VALUES = 20_000
"""Values drawn at most in one heatmap; a bigger matrix shows its top-left corner."""
EMPTY = "Run the lesson to see every weight of its model, live."
"""What the inspector says before any run."""
COLUMNS = ("parameter", "shape", "count", "mean", "std", "min", "max", "grad norm")
"""The table's columns."""


def as_array(tensor: Any) -> np.ndarray:
    """A CPU tensor (or anything array-like) as a float64 numpy array."""
    if hasattr(tensor, "detach"):
        tensor = tensor.detach().float().numpy()
    return np.asarray(tensor, dtype=np.float64)


def parameter_row(name: str, value: Any, grad: Any) -> tuple[str, ...]:
    """One table row: name, shape, count, mean, std, min, max, gradient norm."""
    a = as_array(value)
    mean, std, low, high = stats(a)
    shape = "×".join(str(d) for d in a.shape) or "scalar"
    grad_norm = "—" if grad is None else compact(norm(as_array(grad)))
    return (name, shape, f"{a.size:,}", compact(mean), compact(std), compact(low), compact(high), grad_norm)


def value_lines(a: np.ndarray, width: int) -> list[Any]:
    """The values of one parameter, drawn to suit its shape, for a view `width` columns wide."""
    if a.ndim == 4:
        return conv_lines(a, width)
    if a.ndim == 2 and a.shape[1] == 3 * 32 * 32:
        return image_row_lines(a, width)
    m = np.atleast_2d(a.reshape(a.shape[0], -1) if a.ndim > 2 else a)
    scale = float(np.abs(m).max()) if m.size else 0.0
    if m.shape[1] * number_width() <= width and m.shape[0] <= 40:
        return list(number_lines(m, scale))
    note: list[Any] = []
    rows, cols = m.shape
    if rows * cols > MAX_VALUES or cols > width:
        keep_cols = min(cols, width)
        keep_rows = max(1, min(rows, MAX_VALUES // keep_cols))
        m = m[:keep_rows, :keep_cols]
        note = [Text(f"showing rows 1-{keep_rows} and columns 1-{keep_cols} of {rows}×{cols}", style="dim")]
    legend = Text(f"one value per half cell: blue -{scale:.3g}, white 0, red +{scale:.3g}", style="dim")
    return [legend, *note, *diverging_lines(m, scale)]


def conv_lines(a: np.ndarray, width: int) -> list[Any]:
    """Convolution filters (out, in, k, k): RGB pictures for 3 input channels, else one diverging tile per channel."""
    out_ch, in_ch, kh, kw = a.shape
    factor = 2 if kw <= 7 else 1
    tile = kw * factor
    if in_ch == 3:
        legend = Text("each filter as a colour picture, stretched over its own minimum and maximum", style="dim")
        across = max(1, (width + 2) // (tile + 3))
        lines: list[Any] = [legend]
        for start in range(0, out_ch, across):
            members = range(start, min(out_ch, start + across))
            pictures = [filter_lines(a[i], factor) for i in members]
            lines.append(Text("   ").join(Text(f"{i:<{tile}}"[:tile], style="dim") for i in members))
            for row in range(len(pictures[0])):
                lines.append(Text("   ").join(p[row] for p in pictures))
        return lines
    scale = float(np.abs(a).max()) if a.size else 0.0
    legend = Text(
        f"a row per filter, a tile per input channel: blue -{scale:.3g}, white 0, red +{scale:.3g}", style="dim"
    )
    header = Text("    " + " ".join(f"{c:<{tile}}"[:tile] for c in range(in_ch)), style="dim")
    lines = [legend, header]
    for i in range(out_ch):
        tiles = [diverging_lines(a[i, c], scale, factor) for c in range(in_ch)]
        for row in range(len(tiles[0])):
            label = Text(f"{i:<3} " if row == 0 else "    ", style="dim")
            lines.append(label + Text(" ").join(t[row] for t in tiles))
    return lines


def image_row_lines(a: np.ndarray, width: int) -> list[Any]:
    """A layer on 3x32x32 images: each unit's weights as the picture it responds to."""
    legend = Text("each unit's 3072 weights as the 32x32 picture it looks for (stretched per unit)", style="dim")
    across = max(1, (width + 2) // 18)
    lines: list[Any] = [legend]
    for start in range(0, a.shape[0], across):
        members = range(start, min(a.shape[0], start + across))
        pictures = [half_block_lines(normalise_filter(a[i].reshape(3, 32, 32)), 2) for i in members]
        lines.append(Text("  ").join(Text(f"{i:<16}", style="dim") for i in members))
        for row in range(len(pictures[0])):
            lines.append(Text("  ").join(p[row] for p in pictures))
    return lines


def before_after_lines(before: np.ndarray, after: np.ndarray, width: int) -> Any:
    """Values before and after an update, and the change, side by side when they fit."""
    scale = float(max(np.abs(before).max(initial=0.0), np.abs(after).max(initial=0.0)))
    change = after - before
    blocks = [
        ("before the update", number_lines(np.atleast_2d(before), scale)),
        ("after the update", number_lines(np.atleast_2d(after), scale)),
        ("change (after - before)", number_lines(np.atleast_2d(change), None, precision=4)),
    ]
    table = Table.grid(padding=(0, 3))
    widths = [max(len(title), max((len(line) for line in lines), default=0)) for title, lines in blocks]
    if sum(widths) + 6 <= width:
        for _ in blocks:
            table.add_column()
        table.add_row(*(Group(Text(title, style="bold"), *lines) for title, lines in blocks))
        return table
    return Group(*(item for title, lines in blocks for item in (Text(title, style="bold"), *lines, Text())))


class WeightInspector(Vertical, can_focus=False):
    """Every parameter in a table, updated live; the selected one's values as a heatmap or pictures."""

    DEFAULT_CSS = """
    WeightInspector {
        height: 1fr;
        #weights-table {
            height: auto;
            max-height: 45%;
        }
        #weights-detail {
            height: 1fr;
            padding: 0 1;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__(id="weight-inspector")
        self.snapshot: Any = None
        """The newest WeightsSnapshot."""
        self.before: Any = None
        """The snapshot tagged 'before' an update (lesson 5)."""
        self.after: Any = None
        """The snapshot tagged 'after' that update (lesson 5)."""
        self.selected: str | None = None
        """The parameter whose values are shown."""
        self.empty_text = EMPTY
        """What the inspector says with no snapshot."""
        self.pacer = Pacer(REDRAW_INTERVAL, DRAW_SHARE)
        """When the next snapshot may be drawn."""
        self._dirty = False
        self._drawn_detail: tuple[Any, ...] = ()
        self._detail_size: tuple[int, int] | None = None  # (width, lines) of the values last drawn

    def compose(self) -> ComposeResult:
        """A summary line, the table of parameters and the values of the selected one."""
        yield SummaryLine(EMPTY, id="weights-summary")
        table: DataTable = DataTable(id="weights-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        with ScrollableContainer(id="weights-detail"):
            yield Static("", id="weights-values")

    def on_mount(self) -> None:
        """Update at a bounded rate, not per snapshot."""
        self.set_interval(REDRAW_INTERVAL, self.flush)
        self.query_one("#weights-table").display = False

    def on_show(self) -> None:
        """Brought to the front: draw what arrived while hidden, without waiting for the timer."""
        if self._dirty:
            self.call_after_refresh(self.flush, True)

    def handle_event(self, event: Any) -> None:
        """Keep the newest snapshot (and lesson 5's before and after); the timer draws it."""
        if isinstance(event, RunStarted):
            self.reset(redraw=False)
            if event.parameters == 0:
                self.empty_text = f"Lesson {event.lesson} has no weights: y = x has nothing to learn. The lessons after it do."
            else:
                self.empty_text = "Waiting for the first copy of the weights..."
        elif isinstance(event, WeightsSnapshot):
            self.snapshot = event
            if event.tag == "before":
                self.before, self.after = event, None
            elif event.tag == "after":
                self.after = event
        else:
            return
        self._dirty = True

    def reset(self, redraw: bool = True) -> None:
        """Forget the snapshots."""
        self.snapshot = self.before = self.after = None
        self.empty_text = EMPTY
        self._drawn_detail = ()
        self._dirty = True
        if redraw:
            self.flush()

    def flush(self, force: bool = False) -> None:
        """Update the table and the values shown, if something changed and the view is on screen
        (and the last update's cost allows it, unless `force`)."""
        if not self.is_mounted or not (self._dirty or force):
            return
        if not force and (self.region.area == 0 or not self.pacer.due()):
            return  # hidden behind another tab (drawn when shown), or the last update was costly
        self._dirty = False
        with self.pacer.drawing():
            self._update()

    def _update(self) -> None:
        """Fill the table with the newest snapshot's statistics and draw the selected values."""
        table = self.query_one("#weights-table", DataTable)
        summary = self.query_one("#weights-summary", SummaryLine)
        snap = self.snapshot
        if snap is None:
            table.display = False
            table.clear()
            summary.set(self.empty_text)
            self.query_one("#weights-values", Static).update("")
            return
        table.display = True
        names = list(snap.params)
        summary.set(
            f"step {snap.step:,} ({snap.tag}) · {len(names)} tensors, "
            f"{sum(int(np.prod(tuple(p.shape))) for p in snap.params.values()):,} numbers · "
            "arrows pick one, its values below"
        )
        rows = {name: parameter_row(name, snap.params[name], snap.grads.get(name)) for name in names}
        if [str(key.value) for key in table.rows] == names:
            for name, row in rows.items():
                for column, value in zip(table.columns, row):
                    table.update_cell(name, column, value, update_width=True)  # a longer number widens its column
        else:
            table.clear()
            for name, row in rows.items():
                table.add_row(*row, key=name)
            if self.selected in rows:
                table.move_cursor(row=names.index(self.selected))
        if self.selected not in rows:
            self.selected = names[0] if names else None
        self.draw_detail()

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        """Show the values of the parameter under the cursor."""
        message.stop()
        if message.row_key.value is not None and message.row_key.value != self.selected:
            self.selected = str(message.row_key.value)
            self.draw_detail()

    def draw_detail(self) -> None:
        """Draw the selected parameter's values (skipped when nothing changed)."""
        snap, name = self.snapshot, self.selected
        values = self.query_one("#weights-values", Static)
        if snap is None or name is None or name not in snap.params:
            values.update("")
            self._detail_size = None
            return
        width = max(20, self.query_one("#weights-detail").content_size.width or self.size.width or 80)
        key = (id(snap), name, width, id(self.before), id(self.after))
        if key == self._drawn_detail:
            return
        self._drawn_detail = key
        shape = "×".join(str(d) for d in snap.params[name].shape) or "scalar"
        title = Text.assemble((name, "bold"), f"  {shape}")
        if self.before is not None and self.after is not None and name in self.before.params:
            body: Any = before_after_lines(
                as_array(self.before.params[name]), as_array(self.after.params[name]), width
            )
            values.styles.width = "auto"
            values.update(Group(title, body))
            self._detail_size = None
            return
        lines = value_lines(as_array(snap.params[name]), width)
        for line in lines:
            line.no_wrap = True
        # as wide as the widest line, so a big picture scrolls sideways instead of wrapping
        size = (max(width, *(line.cell_len for line in lines)), len(lines))
        values.styles.width = size[0]
        # the same size as last time (a new snapshot of the same tensor): repaint, no new layout
        values.update(Group(title, *lines), layout=size != self._detail_size)
        self._detail_size = size

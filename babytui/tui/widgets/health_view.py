"""The health view: each layer's gradient over time, its update-to-weight ratio, dead ReLUs and
saturated sigmoids, and every problem the core found, in words. It only draws HealthChecked events."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import ScrollableContainer, Vertical
from textual.widgets import Static

from babytui.core.events import HealthChecked, RunStarted
from .summary_line import SummaryLine
from ..pacing import DRAW_SHARE, Pacer
from ..render import Series, np

REDRAW_INTERVAL = 0.5
"""Seconds between redraws while checks arrive, at the least."""
BARS = "▁▂▃▄▅▆▇█"
"""The heights of a sparkline."""
SPARK = 32
"""Columns of each layer's gradient-flow sparkline."""
EMPTY = "Run a lesson to see whether training is healthy: how much gradient reaches each layer, how big the updates are, dead ReLUs and saturated sigmoids."


def sparkline(values: Any, low: float, high: float, width: int = SPARK) -> Text:
    """log10 values as bars on a shared scale (low to high), the newest on the right, `width` at most."""
    v = np.asarray(values, dtype=np.float64)
    if len(v) > width:
        cut = len(v) // width * width
        buckets = v[len(v) - cut :].reshape(width, -1)
        finite = np.where(np.isfinite(buckets), buckets, 0.0)
        counts = np.isfinite(buckets).sum(axis=1)
        broken = np.isnan(buckets).any(axis=1)
        v = np.where(counts > 0, finite.sum(axis=1) / np.maximum(counts, 1), -np.inf)  # the mean of each stretch
        v[broken] = np.nan
    line = Text()
    for x in v:
        if math.isnan(x):
            line.append("!", style="bold red")  # not a number any more
            continue
        if not math.isfinite(x):
            line.append(" ")  # no gradient at all
            continue
        t = (x - low) / (high - low) if high > low else 0.5
        line.append(BARS[min(len(BARS) - 1, max(0, int(t * len(BARS))))])
    return line


def ratio_style(update: float | None) -> str:
    """Green within 10 times of the 1e-3 rule of thumb, yellow within 100, red beyond."""
    if not update:
        return "dim"
    off = abs(math.log10(update / 1e-3))
    return "green" if off <= 1 else "yellow" if off <= 2 else "red"


def share(value: float | None) -> str:
    """A share as '12%', '—' when not measured."""
    return "—" if value is None else f"{100 * value:.0f}%"


class HealthView(Vertical):
    """The latest health check as tables and sentences; the gradient of every layer over the run."""

    DEFAULT_CSS = """
    HealthView {
        height: 1fr;
        #health-scroll { height: 1fr; padding: 0 1; }
    }
    """

    def __init__(self) -> None:
        super().__init__(id="health-view")
        self.check: HealthChecked | None = None
        """The newest check."""
        self.steps = Series()
        """Step of each gradient note."""
        self.flow: dict[str, Series] = {}
        """log10 of each layer's gradient norm at each note."""
        self.said: list[tuple[int, str]] = []
        """(step, sentence) of every finding that was news, oldest first."""
        self.empty_text = EMPTY
        """What the view says with no check yet."""
        self.pacer = Pacer(REDRAW_INTERVAL, DRAW_SHARE)
        """When the next redraw may come."""
        self._dirty = False

    def compose(self) -> ComposeResult:
        """The health line's text, then the tables."""
        yield SummaryLine(EMPTY, id="health-summary")
        with ScrollableContainer(id="health-scroll"):
            yield Static("", id="health-body")

    def on_mount(self) -> None:
        """Redraw at a bounded rate."""
        self.set_interval(REDRAW_INTERVAL, self.flush)

    def on_show(self) -> None:
        """Brought to the front: draw what arrived while hidden."""
        self.call_after_refresh(self.flush, True)

    def handle_event(self, event: Any) -> None:
        """Keep the newest check and every layer's gradient notes."""
        if isinstance(event, RunStarted):
            self.reset(redraw=False)
            self.empty_text = "Waiting for the first health check..." if event.parameters else f"Lesson {event.lesson} has no weights, so nothing to check."
        elif isinstance(event, HealthChecked):
            self.check = event
            names = [layer.name for layer in event.layers]
            for step, norms in event.flow:
                self.steps.append(step)
                for name, value in zip(names, norms):
                    self.flow.setdefault(name, Series()).append(math.log10(value) if value > 0 else (-math.inf if value == 0 else math.nan))
            self.said += [(event.step, sentence) for sentence in event.news]
        else:
            return
        self._dirty = True

    def reset(self, redraw: bool = True) -> None:
        """Forget the run."""
        self.check = None
        self.steps = Series()
        self.flow = {}
        self.said = []
        self.empty_text = EMPTY
        self._dirty = True
        if redraw:
            self.flush(True)

    def flush(self, force: bool = False) -> None:
        """Redraw if something changed and the view is on screen (and the last redraw's cost allows)."""
        if not self.is_mounted or not (self._dirty or force):
            return
        if not force and (self.region.area == 0 or not self.pacer.due()):
            return
        self._dirty = False
        with self.pacer.drawing():
            self.draw()

    def draw(self) -> None:
        """The summary, the layers' table, the activations' table and the findings."""
        summary = self.query_one("#health-summary", SummaryLine)
        body = self.query_one("#health-body", Static)
        check = self.check
        if check is None:
            summary.set(self.empty_text)
            body.update("")
            return
        summary.set(("✓ " if check.healthy else "⚠ ") + check.summary)
        body.update(Group(*self.renderables(check)))

    def renderables(self, check: HealthChecked) -> list[Any]:
        """What the body shows for a check."""
        finite = [v for series in self.flow.values() for v in series.values if math.isfinite(v)]
        low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
        first = int(self.steps.values[0]) if len(self.steps) else check.step
        layers = Table(box=None, padding=(0, 1), header_style="bold", title_justify="left")
        layers.title = Text(f"gradient per layer, steps {first:,} to {check.step:,} (one scale for all, log10)", style="bold")
        for name, justify in (("layer", "left"), ("gradient flow", "left"), ("|gradient|", "right"), ("per weight size", "right"), ("update/weight", "right"), ("|∂loss/∂output|", "right")):
            layers.add_column(name, justify=justify)  # type: ignore[arg-type]
        for layer in check.layers:
            series = self.flow.get(layer.name)
            out = "—" if layer.output_gradient is None else f"{layer.output_gradient:.2g}"
            update = "—" if layer.update is None else f"{layer.update:.1e}"
            layers.add_row(
                f"{layer.name} ({layer.kind})", sparkline(series.values if series else [], low, high), f"{layer.gradient:.2g}",
                f"{layer.relative_gradient:.2g}", Text(update, style=ratio_style(layer.update)), out,
            )
        parts: list[Any] = [layers, Text("update/weight: how much one update changes a layer, for its size; about 1e-3 is the rule of thumb", style="dim"), Text()]
        if check.activations:
            acts = Table(box=None, padding=(0, 1), header_style="bold", title_justify="left")
            acts.title = Text("activations", style="bold")
            for name in ("stage", "zero on this batch", "dead (never fired)", "saturated"):
                acts.add_column(name, justify="left" if name == "stage" else "right")
            for a in check.activations:
                dead = share(a.dead) + (f" of {a.samples} images" if a.samples else "")
                acts.add_row(a.name, share(a.zero), dead if a.dead is not None else ("measuring" if a.function in ("relu", "relu6") else "—"), share(a.saturated))
            parts += [acts, Text()]
        parts.append(Text(f"at step {check.step:,}", style="bold"))
        if check.findings:
            parts += [Text.assemble(("⚠ ", "yellow"), sentence) for sentence in check.findings]
        else:
            parts.append(Text("✓ " + check.summary, style="green"))
        if self.said:
            parts += [Text(), Text("said so far in this run", style="bold")]
            parts += [Text(f"step {step:,}: {sentence}", style="dim") for step, sentence in self.said[-12:]]
        return parts

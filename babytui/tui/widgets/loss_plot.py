"""The live loss plot: training loss per step, test loss and accuracy per epoch, the last run as a ghost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from babytui.core.events import EpochEnded, RunStarted, StepLogged
from .summary_line import SummaryLine
from ..pacing import DRAW_SHARE, Pacer
from ..run_log import EarlierRun
from ..render import RGB, Series, blend, downsample, ema_extend, np, rgb_style, safe_log10

REDRAW_INTERVAL = 0.25
"""Seconds between redraws while new points arrive, at the least (a slow redraw waits longer)."""
GHOST_POINTS = 4000
"""Points kept of a previous run's smoothed curve."""
EMPTY = "Run the lesson to see its loss curve."
"""What the plot says before any run."""


def smoothing_for(total_steps: int) -> float:
    """The moving average's weight of a new point: heavy smoothing for long runs, light for short."""
    return min(0.5, max(0.01, 20.0 / max(total_steps, 1)))


class LossHistory:
    """Every point of one run, stored cheaply: appending is cheap, drawing reads a down-sampled view."""

    def __init__(self, lesson: int = 0, total_steps: int = 0) -> None:
        self.lesson = lesson
        """The lesson that ran."""
        self.total_steps = total_steps
        """Updates planned."""
        self.alpha = smoothing_for(total_steps)
        """Weight of a new point in the moving average."""
        self.steps = Series()
        """Step number of each training loss."""
        self.raw = Series()
        """Training loss of every step."""
        self.smooth = Series()
        """The moving average of the training loss."""
        self._ema: tuple[float, int] = (0.0, 0)
        self.epoch_steps: list[int] = []
        """The step at which each epoch ended."""
        self.test_loss: list[float] = []
        """Test loss at the end of each scored epoch."""
        self.test_accuracy: list[float] = []
        """Test accuracy (%) at the end of each scored epoch."""
        self.train_loss: list[float] = []
        """Mean training loss of each epoch."""

    def add_losses(self, last_step: int, losses: tuple[float, ...]) -> None:
        """The losses of the steps up to and including `last_step`."""
        count = len(losses)
        if not count:
            return
        self.steps.extend(np.arange(last_step - count + 1, last_step + 1, dtype=np.float64))
        self.raw.extend(losses)
        smoothed, self._ema = ema_extend(losses, self._ema, self.alpha)
        self.smooth.extend(smoothed)

    def add_points(self, steps: tuple[int, ...], losses: tuple[float, ...]) -> None:
        """Losses at these steps (a resumed run's history, read back from its metrics)."""
        if not steps:
            return
        self.steps.extend(np.asarray(steps, dtype=np.float64))
        self.raw.extend(losses)
        smoothed, self._ema = ema_extend(losses, self._ema, self.alpha)
        self.smooth.extend(smoothed)

    def add_epoch(self, step: int, train_loss: float, test_loss: float | None, test_accuracy: float | None) -> None:
        """An epoch's results."""
        self.epoch_steps.append(step)
        self.train_loss.append(train_loss)
        self.test_loss.append(float("nan") if test_loss is None else test_loss)
        self.test_accuracy.append(float("nan") if test_accuracy is None else test_accuracy)

    def __len__(self) -> int:
        return len(self.raw)

    def ghost(self) -> tuple[np.ndarray, np.ndarray]:
        """The smoothed curve, down-sampled to keep as the next run's ghost."""
        return downsample(self.steps.values, self.smooth.values, GHOST_POINTS // 2)


@dataclass
class PlotColours:
    """The colours of the plot's lines."""

    smooth: RGB = (0, 135, 255)
    """Smoothed training loss."""
    raw: RGB = (70, 90, 120)
    """Every step's loss, faint."""
    ghost: RGB = (120, 120, 120)
    """The previous run."""
    test: RGB = (255, 165, 0)
    """Test loss."""
    accuracy: RGB = (80, 200, 80)
    """Test accuracy."""


def draw_loss(
    plt: Any,
    history: LossHistory,
    ghost: tuple[np.ndarray, np.ndarray] | None,
    width: int,
    log: bool = False,
    colours: PlotColours | None = None,
) -> None:
    """Put a run's curves into a plotext figure, down-sampled to about two points per column."""
    colours = colours or PlotColours()
    plt.clear_data()
    buckets = max(10, width - 12)  # the axes take about a dozen columns
    y = safe_log10 if log else (lambda v: np.asarray(v, dtype=np.float64))
    # The x axis follows the run so far (not the steps planned), so an early curve is not squashed.
    right = float(history.steps.values[-1]) if len(history) else 1.0
    if history.epoch_steps:
        right = max(right, float(history.epoch_steps[-1]))
    if ghost is not None and len(ghost[0]):
        gx, gy = ghost
        if len(history):
            inside = gx <= right  # the previous run up to the same step, for comparison
            gx, gy = gx[inside], gy[inside]
        else:
            right = float(gx[-1])
        if len(gx):
            gx, gy = downsample(gx, gy, buckets)
            plt.plot(gx.tolist(), y(gy).tolist(), color=colours.ghost, marker="braille")
    if len(history):
        steps = history.steps.values
        rx, ry = downsample(steps, history.raw.values, buckets)
        sx, sy = downsample(steps, history.smooth.values, buckets)
        # the raw points as dots: lines between each bucket's minimum and maximum cost 3x more
        plt.scatter(rx.tolist(), y(ry).tolist(), color=colours.raw, marker="braille")
        plt.plot(sx.tolist(), y(sy).tolist(), color=colours.smooth, marker="braille")
    scored = [i for i, v in enumerate(history.test_loss) if v == v]
    if scored:
        ex = [float(history.epoch_steps[i]) for i in scored]
        # thin lines between epochs, a bold mark at each (plotext's legend would cover the curves)
        test = y([history.test_loss[i] for i in scored]).tolist()
        accuracy = [history.test_accuracy[i] for i in scored]
        plt.plot(ex, test, color=colours.test, marker="braille")
        plt.scatter(ex, test, color=colours.test, marker="●")
        plt.plot(ex, accuracy, color=colours.accuracy, marker="braille", yside="right")
        plt.scatter(ex, accuracy, color=colours.accuracy, marker="◆", yside="right")
        plt.ylabel("accuracy %", yside="right")
    else:
        plt.ylabel("", yside="right")
    right = max(right, 1.0)
    plt.xlim(0, right)
    ticks = step_ticks(right)
    plt.xticks(ticks, [f"{t:,}" for t in ticks])
    plt.xlabel("step")
    plt.ylabel("log10(loss)" if log else "loss")


def step_ticks(right: float, count: int = 5) -> list[int]:
    """Whole, round step numbers from 0 to about `right` for the x axis (plotext would show 17.5)."""
    if right < count:
        return list(range(int(right) + 1))
    raw = right / (count - 1)
    magnitude = 10 ** int(np.floor(np.log10(raw)))
    spacing = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    spacing = max(1, int(spacing))
    return list(range(0, int(right) + 1, spacing))


class LossCanvas(PlotextPlot):
    """The plotext figure of a LossPlot: draws the owner's series only when it is painted."""

    def __init__(self, owner: "LossPlot") -> None:
        super().__init__(id="loss-canvas")
        self.owner = owner
        """The LossPlot whose series are drawn."""

    def render(self):
        """Down-sample and draw the current series, then let plotext build the figure."""
        self.owner.draw(self.plt, self.size.width)
        return super().render()

    def render_lines(self, crop):
        """Paint (plotext's figure, parsed into lines), timing it: the owner paces redraws by it."""
        with self.owner.pacer.drawing():
            return super().render_lines(crop)


class LossPlot(Vertical, can_focus=True):
    """Training loss per step (smoothed, raw faint), test loss and accuracy per epoch, and a ghost."""

    BINDINGS = [Binding("l", "toggle_log", "Log y")]

    def __init__(self) -> None:
        super().__init__(id="loss-plot")
        self.history = LossHistory()
        """The run being shown."""
        self.ghost: tuple[np.ndarray, np.ndarray] | None = None
        """The lesson's previous run: its smoothed curve, down-sampled."""
        self.log_scale = False
        """True to plot log10 of the loss."""
        self.pacer = Pacer(REDRAW_INTERVAL, DRAW_SHARE)
        """When new points may be drawn next."""
        self._dirty = False
        self._empty_text = EMPTY
        self._shown_state: tuple[bool, str] | None = None

    def compose(self) -> ComposeResult:
        """A one-line summary, the plot and the empty message."""
        yield SummaryLine(id="loss-summary")
        yield LossCanvas(self)
        yield Static(EMPTY, id="loss-empty", classes="view-empty")

    def on_mount(self) -> None:
        """Redraw on a timer, never per event."""
        self.set_interval(REDRAW_INTERVAL, self.flush)
        self._show_state()

    def on_show(self) -> None:
        """Brought to the front: draw what arrived while hidden, without waiting for the timer."""
        self.call_after_refresh(self.flush, True)

    def handle_event(self, event: Any) -> None:
        """Store the points an event brings; the timer draws them."""
        if isinstance(event, RunStarted):
            # the lesson's next run: the one shown becomes its ghost
            same = event.lesson == self.history.lesson and len(self.history) > 0
            self.ghost = self.history.ghost() if same else None
            self.history = LossHistory(event.lesson, event.total_steps)
            self._empty_text = (
                f"Lesson {event.lesson} makes no updates, so there is no loss curve: the lessons that train have one."
                if event.total_steps == 0
                else "Waiting for the first steps..."
            )
            self._show_state()
        elif isinstance(event, StepLogged):
            self.history.add_losses(event.step, event.losses)
        elif isinstance(event, EpochEnded):
            self.history.add_epoch(event.step, event.train_loss, event.test_loss, event.test_accuracy)
        elif isinstance(event, EarlierRun):  # a resumed run: its curve before the checkpoint
            self.history.add_points(event.steps, event.losses)
            for step, train_loss, test_loss, test_accuracy in event.epochs:
                self.history.add_epoch(step, train_loss, test_loss, test_accuracy)
        else:
            return
        self._dirty = True

    def reset(self) -> None:
        """Forget the run shown and its ghost."""
        self.history = LossHistory()
        self.ghost = None
        self._empty_text = EMPTY
        self._dirty = True
        self.flush(now=True)

    def flush(self, now: bool = False) -> None:
        """Redraw if new points arrived and the last redraw's cost allows it, or `now` (a key was
        pressed); the plot builds only if it is on screen."""
        if not self._dirty or not self.is_mounted or not (now or self.pacer.due()):
            return
        self._dirty = False
        self._show_state()
        if self.region.area == 0:
            self._dirty = True  # behind another tab: keep the Statics still (an update re-lays the screen)
            return
        self.query_one("#loss-summary", SummaryLine).set(self.summary())
        self.query_one(LossCanvas).refresh()

    def _show_state(self) -> None:
        """The plot when there are points, else a sentence saying what will be here."""
        has_points = len(self.history) > 0
        if (has_points, self._empty_text) == self._shown_state:
            return
        self._shown_state = (has_points, self._empty_text)
        self.query_one(LossCanvas).display = has_points
        self.query_one("#loss-summary").display = has_points
        empty = self.query_one("#loss-empty", Static)
        empty.display = not has_points
        empty.update(self._empty_text)

    def summary(self) -> Text:
        """The step, the latest and smoothed loss, the latest test results, and a key to the colours."""
        h = self.history
        if not len(h):
            return Text()
        c = self.colours()
        parts: list = [
            f"step {int(h.steps.values[-1]):,}  ",
            (f"loss {h.raw.values[-1]:.4f}", rgb_style(c.raw)),
            "  ",
            (f"smoothed {h.smooth.values[-1]:.4f}", rgb_style(c.smooth)),
        ]
        if h.test_loss and h.test_loss[-1] == h.test_loss[-1]:
            parts += ["  ", (f"● test loss {h.test_loss[-1]:.4f}", rgb_style(c.test))]
            parts += ["  ", (f"◆ accuracy {h.test_accuracy[-1]:.1f}% (right axis)", rgb_style(c.accuracy))]
        if self.ghost is not None:
            parts += ["  ", ("previous run", rgb_style(c.ghost))]
        parts.append(f"  · l: y as {'loss' if self.log_scale else 'log10(loss)'} · z: zoom")
        return Text.assemble(*parts)

    def colours(self) -> PlotColours:
        """Line colours from the app's theme."""
        variables = self.app.theme_variables

        def rgb(name: str, fallback: RGB) -> RGB:
            try:
                return Color.parse(variables[name]).rgb
            except Exception:  # a theme without the variable
                return fallback

        surface = rgb("surface", (30, 30, 30))
        primary = rgb("primary", (0, 135, 255))
        return PlotColours(
            smooth=primary,
            raw=blend(primary, surface, 0.65),
            ghost=blend(rgb("foreground", (200, 200, 200)), surface, 0.55),
            test=rgb("warning", (255, 165, 0)),
            accuracy=rgb("success", (80, 200, 80)),
        )

    def draw(self, plt: Any, width: int) -> None:
        """Draw the series into the canvas's figure (called when the canvas paints)."""
        draw_loss(plt, self.history, self.ghost, width, self.log_scale, self.colours())

    def action_toggle_log(self) -> None:
        """Switch the y axis between the loss and log10 of the loss."""
        self.log_scale = not self.log_scale
        self._dirty = True
        self.flush(now=True)

"""The loss plot's data and drawing, without a widget: a run's history, and how it, a range test,
a planned lr schedule and several saved runs go into a plotext figure.

Pure: numbers in, plotext calls out. The widgets (loss plot, runs screen) decide when to draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

from .render import RGB, Series, blend, downsample, ema_extend, np, safe_log10

COURSE_HUES: tuple[RGB, ...] = (
    (230, 90, 90), (230, 160, 60), (170, 200, 70), (70, 190, 170), (90, 140, 230), (170, 110, 220), (220, 110, 170),
)
"""Seven hues for the ghosts of the course, drawn a third of the way to the background (see `course_colours`)."""
GHOST_POINTS = 4000
"""Points kept of a previous run's smoothed curve."""
RANGE_ALPHA = 0.02
"""A new point's weight in the range test's smoothed loss (the core's 1 - SMOOTHING)."""
SMOOTHING_CHOICES: tuple[float | None, ...] = (None, 0.0, 0.9, 0.99, 0.999)
"""What the smoothing key steps through: auto (by the run's length), off, then heavier weights of the past."""


def smoothing_for(total_steps: int) -> float:
    """The moving average's weight of a new point: heavy smoothing for long runs, light for short."""
    return min(0.5, max(0.01, 20.0 / max(total_steps, 1)))


def alpha_of(smoothing: float | None, total_steps: int) -> float:
    """A new point's weight for a smoothing choice (None: auto; 0.9: the past weighs 0.9)."""
    return smoothing_for(total_steps) if smoothing is None else 1.0 - smoothing


def smoothing_name(smoothing: float | None) -> str:
    """How a smoothing choice reads: 'auto', 'off', '0.99'."""
    return "auto" if smoothing is None else "off" if smoothing == 0 else f"{smoothing:g}"


def smooth(values: Sequence[float], alpha: float) -> list[float]:
    """The bias-corrected moving average of a whole series."""
    return ema_extend(values, (0.0, 0), alpha)[0]


class LossHistory:
    """Every point of one run, stored cheaply: appending is cheap, drawing reads a down-sampled view."""

    def __init__(self, lesson: int = 0, total_steps: int = 0, smoothing: float | None = None) -> None:
        self.lesson = lesson
        """The lesson that ran."""
        self.total_steps = total_steps
        """Updates planned."""
        self.alpha = alpha_of(smoothing, total_steps)
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
        self.val_loss: list[float] = []
        """Validation loss of each scored epoch (NaN where the run holds none out)."""
        self.val_accuracy: list[float] = []
        """Validation accuracy (%) of each scored epoch."""
        self.lr_marks: list[tuple[int, float]] = []
        """(step, new lr) of each change of the lr made while the run went on."""
        self.lr: float | None = None
        """The lr of the latest step."""
        self.best: tuple[int, int, float] | None = None
        """(epoch, step, test accuracy) of the best epoch restored at the end."""
        self.steps_per_epoch = 0
        """Updates in one epoch: where the ghosts of the course, drawn by epoch, fall on its steps."""
        self.data: Any = None
        """What the run is scored on (a core DataKey): the ghosts of the course must match it."""

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

    def add_epoch(
        self, step: int, train_loss: float, test_loss: float | None, test_accuracy: float | None,
        val_loss: float | None = None, val_accuracy: float | None = None,
    ) -> None:
        """An epoch's results."""
        nan = float("nan")
        self.epoch_steps.append(step)
        self.train_loss.append(train_loss)
        self.test_loss.append(nan if test_loss is None else test_loss)
        self.test_accuracy.append(nan if test_accuracy is None else test_accuracy)
        self.val_loss.append(nan if val_loss is None else val_loss)
        self.val_accuracy.append(nan if val_accuracy is None else val_accuracy)

    def set_smoothing(self, smoothing: float | None) -> None:
        """Smooth the whole series again with another choice."""
        self.alpha = alpha_of(smoothing, self.total_steps)
        values, self._ema = ema_extend(self.raw.values, (0.0, 0), self.alpha)
        self.smooth = Series()
        self.smooth.extend(values)

    def __len__(self) -> int:
        return len(self.raw)

    def ghost(self) -> tuple[np.ndarray, np.ndarray]:
        """The smoothed curve, down-sampled to keep as the next run's ghost."""
        return downsample(self.steps.values, self.smooth.values, GHOST_POINTS // 2)


def ghost_of(steps: Sequence[float], losses: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """A saved run's losses as a ghost: smoothed as its own run was, down-sampled."""
    smoothed = smooth(losses, smoothing_for(len(losses)))
    return downsample(steps, smoothed, GHOST_POINTS // 2)


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
    validation: RGB = (200, 100, 220)
    """Validation loss and accuracy."""
    mark: RGB = (230, 200, 60)
    """A change of the lr, the suggested lr, the best epoch."""
    runs: tuple[RGB, ...] = field(default=((0, 175, 255), (255, 140, 0), (90, 200, 90), (220, 80, 200), (230, 220, 80), (120, 220, 220)))
    """The compared runs' colours, in the order they were marked."""
    course: tuple[RGB, ...] = field(default_factory=lambda: course_colours((30, 30, 30)))
    """The ghosts of the course, one dim colour each, in the order of their lessons."""


@dataclass(frozen=True)
class CourseCurve:
    """One ghost of the course as drawn: test accuracy against this run's steps."""

    steps: Sequence[float]
    """Each point's place on this run's step axis."""
    accuracy: Sequence[float]
    """Its test accuracy (%)."""
    marker: str
    """The character marking its last point drawn: its lesson's last digit."""
    hue: int = 0
    """Its colour, as an index into PlotColours.course (its lesson's place in the lesson's ghosts)."""


def course_colours(background: RGB) -> tuple[RGB, ...]:
    """The ghosts of the course's colours on this background: each hue dimmed a third of the way to it
    (more, and some fall on one colour where the terminal has only 256)."""
    return tuple(blend(hue, background, 0.3) for hue in COURSE_HUES)


def _y(log: bool):
    return safe_log10 if log else (lambda v: np.asarray(v, dtype=np.float64))


def draw_loss(
    plt: Any,
    history: LossHistory,
    ghost: tuple[np.ndarray, np.ndarray] | None,
    width: int,
    log: bool = False,
    colours: PlotColours | None = None,
    course: Sequence[CourseCurve] = (),
) -> None:
    """Put a run's curves into a plotext figure, down-sampled to about two points per column; the
    ghosts of the course first, on the accuracy axis, so the run's own curves are drawn over them."""
    colours = colours or PlotColours()
    plt.clear_data()
    buckets = max(10, width - 12)  # the axes take about a dozen columns
    y = _y(log)
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
    drawn = _draw_course(plt, course, right, colours)
    if len(history):
        steps = history.steps.values
        rx, ry = downsample(steps, history.raw.values, buckets)
        sx, sy = downsample(steps, history.smooth.values, buckets)
        # the raw points as dots: lines between each bucket's minimum and maximum cost 3x more
        plt.scatter(rx.tolist(), y(ry).tolist(), color=colours.raw, marker="braille")
        plt.plot(sx.tolist(), y(sy).tolist(), color=colours.smooth, marker="braille")
    for step, _ in history.lr_marks:
        plt.vline(step, colours.mark)
    if history.best is not None:
        plt.vline(history.best[1], colours.accuracy)
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
        validated = [i for i in scored if history.val_loss[i] == history.val_loss[i]]
        if validated:
            vx = [float(history.epoch_steps[i]) for i in validated]
            val = y([history.val_loss[i] for i in validated]).tolist()
            plt.plot(vx, val, color=colours.validation, marker="braille")
            plt.scatter(vx, val, color=colours.validation, marker="■")
            va = [history.val_accuracy[i] for i in validated]
            plt.plot(vx, va, color=colours.validation, marker="braille", yside="right")
            plt.scatter(vx, va, color=colours.validation, marker="▲", yside="right")
    plt.ylabel("accuracy %" if scored or drawn else "", yside="right")
    right = max(right, 1.0)
    plt.xlim(0, right)
    ticks = step_ticks(right)
    plt.xticks(ticks, [f"{t:,}" for t in ticks])
    plt.xlabel("step")
    plt.ylabel("log10(loss)" if log else "loss")


def _draw_course(plt: Any, course: Sequence[CourseCurve], right: float, colours: PlotColours) -> bool:
    """The ghosts of the course up to step `right` (as far as this run), dim, on the right axis; True if any."""
    drawn = False
    for curve in course:
        points = [(x, v) for x, v in zip(curve.steps, curve.accuracy) if x <= right]
        if not points:
            continue
        colour = colours.course[curve.hue % len(colours.course)]
        xs, ys = [x for x, _ in points], [v for _, v in points]
        if len(points) > 1:
            plt.plot(xs, ys, color=colour, marker="braille", yside="right")
        plt.scatter(xs[-1:], ys[-1:], color=colour, marker=curve.marker, yside="right")
        drawn = True
    return drawn


def step_ticks(right: float, count: int = 5) -> list[int]:
    """Whole, round step numbers from 0 to about `right` for the x axis (plotext would show 17.5)."""
    if right < count:
        return list(range(int(right) + 1))
    raw = right / (count - 1)
    magnitude = 10 ** int(np.floor(np.log10(raw)))
    spacing = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    spacing = max(1, int(spacing))
    return list(range(0, int(right) + 1, spacing))


def log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """Ticks at whole powers of ten between log10 values `low` and `high`, labelled 1e-4, 0.01, 1, 100."""
    ticks = list(range(math.ceil(low - 1e-9), math.floor(high + 1e-9) + 1)) or [round(low)]
    return [float(t) for t in ticks], [f"1e{t}" if abs(t) > 2 else f"{10.0 ** t:g}" for t in ticks]


@dataclass
class RangeCurve:
    """An LR range test as it arrives: each batch's lr and loss, then the suggestion."""

    lrs: list[float] = field(default_factory=list)
    """The lr of each batch."""
    losses: list[float] = field(default_factory=list)
    """Its loss."""
    total: int = 0
    """Batches planned."""
    smoothed: list[float] = field(default_factory=list)
    """The curve the suggestion was read from, once the test is done."""
    suggestion: float | None = None
    """The lr it suggests, once done."""
    lowest: float | None = None
    """The lr where the smoothed loss was lowest."""
    done: bool = False
    """True once RangeTestDone arrived."""
    reason: str = ""
    """Why it ended."""


def draw_range(plt: Any, curve: RangeCurve, width: int, colours: PlotColours | None = None) -> None:
    """The range test's loss against log10 of the lr, the suggested lr marked."""
    colours = colours or PlotColours()
    plt.clear_data()
    # while it runs, the core's moving average; once done, the centred curve the suggestion was read from
    smoothed = curve.smoothed or smooth(curve.losses, RANGE_ALPHA)
    points = [(math.log10(lr), v, m) for lr, v, m in zip(curve.lrs, curve.losses, smoothed) if math.isfinite(m) and lr > 0]
    if not points:
        return
    xs, ys, ms = (list(t) for t in zip(*points))
    top = max(ms) * 1.1  # the raw losses of an explosion would squash the curve that matters
    raw = [(x, v) for x, v in zip(xs, ys) if math.isfinite(v) and v <= top]
    if raw:
        plt.scatter([x for x, _ in raw], [v for _, v in raw], color=colours.raw, marker="braille")
    plt.plot(xs, ms, color=colours.smooth, marker="braille")
    plt.ylim(min(min(ms), min((v for _, v in raw), default=min(ms))), top)
    if curve.suggestion is not None:
        plt.vline(math.log10(curve.suggestion), colours.mark)
    low = math.log10(curve.lrs[0])
    high = max(xs[-1], low + 1)
    plt.xlim(low, high)
    plt.xticks(*log_ticks(low, high))
    plt.xlabel("lr (log scale)")
    plt.ylabel("loss")
    plt.ylabel("", yside="right")


def draw_plan(plt: Any, epochs: Sequence[float], lrs: Sequence[float], colours: PlotColours | None = None) -> None:
    """The lr a run will follow, epoch by epoch, drawn before it starts."""
    colours = colours or PlotColours()
    plt.clear_data()
    plt.plot(list(epochs), list(lrs), color=colours.mark, marker="braille")
    plt.xlim(0, max(epochs[-1], 1))
    ticks = step_ticks(epochs[-1])
    plt.xticks(ticks, [str(t) for t in ticks])
    plt.xlabel("epoch")
    plt.ylabel("lr")
    plt.ylabel("", yside="right")


def draw_runs(
    plt: Any, series: Sequence[tuple[str, Sequence[float], Sequence[float]]], width: int, *,
    xlabel: str, ylabel: str, smoothing: float | None = None, points: bool = False, colours: PlotColours | None = None,
) -> None:
    """Several runs' curves on one plot, each (label, xs, ys), smoothed alike, in the runs' colours;
    `points` marks each value too (a result per epoch)."""
    colours = colours or PlotColours()
    plt.clear_data()
    right = 0.0
    for i, (label, xs, ys) in enumerate(series):
        if not len(xs):
            continue
        colour = colours.runs[i % len(colours.runs)]
        shown = ys if smoothing == 0 or len(ys) < 3 else smooth(ys, alpha_of(smoothing, len(ys)))
        px, py = downsample(xs, shown, max(10, width - 12))
        plt.plot(px.tolist(), py.tolist(), color=colour, marker="braille", label=label)
        if points:
            plt.scatter(px.tolist(), py.tolist(), color=colour, marker="●")
        right = max(right, float(px[-1]))
    if xlabel == "step" and right >= 1:
        ticks = step_ticks(right)
        plt.xticks(ticks, [f"{t:,}" for t in ticks])
    plt.xlabel(xlabel)
    plt.ylabel(ylabel)

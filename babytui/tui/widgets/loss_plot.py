"""The live loss plot: training loss per step, validation and test loss and accuracy per epoch, the
lr's changes marked, the last run as a ghost (and for a lesson that names earlier ones, their newest
runs as the ghosts of the course); before a run, the lr schedule it will follow; during an LR range
test, the loss against the lr."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static
from textual_plotext import PlotextPlot

from babytui.core.events import BestRestored, EpochEnded, LrChanged, RangeTestDone, RangeTestLogged, RunStarted, StepLogged
from babytui.core.lessons import get_lesson
from .summary_line import SummaryLine
from ..curves import (  # noqa: F401  (LossHistory, draw_loss, smoothing_for, step_ticks: for the benchmark and tests)
    SMOOTHING_CHOICES, CourseCurve, LossHistory, PlotColours, RangeCurve, course_colours, draw_loss, draw_plan, draw_range,
    ghost_of, smoothing_for, smoothing_name, step_ticks,
)
from ..pacing import DRAW_SHARE, Pacer
from ..render import blend, np, rgb_style
from ..run_log import EarlierRun

if TYPE_CHECKING:
    from babytui.core.runs import CourseGhost

REDRAW_INTERVAL = 0.25
"""Seconds between redraws while new points arrive, at the least (a slow redraw waits longer)."""
EMPTY = "Run the lesson to see its loss curve."
"""What the plot says before any run."""


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
    """Training loss per step (smoothed, raw faint), validation and test per epoch, lr marks, a ghost."""

    BINDINGS = [Binding("l", "toggle_log", "Log y"), Binding("m", "smoothing", "Smoothing")]

    @dataclass
    class GhostRead(Message):
        """A lesson's newest saved run was read (in a thread), to show as the ghost of its next run."""

        lesson: int
        """The lesson."""
        run_id: str
        """The run read."""
        steps: list[float]
        """Its steps."""
        losses: list[float]
        """Its training loss at each."""

    @dataclass
    class CourseRead(Message):
        """The newest saved runs of the earlier lessons a lesson names were read (in a thread)."""

        lesson: int
        """The lesson that names them."""
        ghosts: list[CourseGhost]
        """Their ghosts (one a lesson and dataset), in the order the lesson names them."""

    def __init__(self) -> None:
        super().__init__(id="loss-plot")
        self.history = LossHistory()
        """The run being shown."""
        self.previous: tuple[np.ndarray, np.ndarray] | None = None
        """The lesson's previous run in this session: its smoothed curve, down-sampled."""
        self.saved_ghosts: dict[int, tuple[str, tuple[np.ndarray, np.ndarray]]] = {}
        """Each lesson's newest saved run (its id, its curve): the ghost until the lesson runs again here."""
        self.course: dict[int, list[CourseGhost]] = {}
        """The ghosts of the course read for each lesson that names earlier ones (all datasets)."""
        self.log_scale = False
        """True to plot log10 of the loss."""
        self.smoothing: float | None = None
        """The smoothing chosen (None: by the run's length; 0: none; 0.99: the past weighs 0.99)."""
        self.range: RangeCurve | None = None
        """The LR range test shown (from its start until the next training run), or None."""
        self.plan: tuple[str, list[float], list[float]] | None = None
        """(what it is, epochs, lrs) of the lr schedule the next run will follow, drawn before it."""
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

    @property
    def ghost(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The previous run of the lesson shown: this session's, else its newest saved one."""
        if self.previous is not None:
            return self.previous
        saved = self.saved_ghosts.get(self.shown_lesson)
        return None if saved is None else saved[1]

    @property
    def ghost_label(self) -> str:
        """Where the ghost comes from, for the summary line."""
        if self.previous is not None or self.shown_lesson not in self.saved_ghosts:
            return "previous run"
        return f"previous run {self.saved_ghosts[self.shown_lesson][0]}"

    @property
    def course_ghosts(self) -> list[CourseGhost]:
        """The ghosts of the course of the run shown: the named lessons' runs on the same test images."""
        ghosts = self.course.get(self.history.lesson)
        if not ghosts or self.history.data is None or not self.history.steps_per_epoch:
            return []
        from babytui.core.runs import ghosts_for

        return ghosts_for(ghosts, self.history.data)

    def course_curves(self) -> list[CourseCurve]:
        """The ghosts of the course on this run's step axis, each marked by its lesson's last digit
        (a dot for all when two share one), its colour by its place among the lessons named."""
        ghosts = self.course_ghosts
        if not ghosts:
            return []
        named = get_lesson(self.history.lesson).ghosts
        digits = [str(g.lesson % 10) if len({n % 10 for n in named}) == len(named) else "•" for g in ghosts]
        return [CourseCurve(*g.on_steps(self.history.steps_per_epoch), d, named.index(g.lesson)) for g, d in zip(ghosts, digits)]

    @property
    def shown_lesson(self) -> int:
        """The lesson whose output the views show (the output area's), else the run's."""
        from .output_area import OutputArea

        for ancestor in self.ancestors:
            if isinstance(ancestor, OutputArea) and ancestor.lesson is not None:
                return ancestor.lesson
        return self.history.lesson

    @property
    def mode(self) -> str:
        """What the canvas shows: 'range', 'loss', 'plan' (before the lesson's first run), or 'empty'."""
        if self.range is not None:
            return "range"
        if len(self.history):
            return "loss"
        return "plan" if self.plan is not None else "empty"

    def handle_event(self, event: Any) -> None:
        """Store the points an event brings; the timer draws them."""
        if isinstance(event, RunStarted):
            # the lesson's next run: the one shown becomes its ghost
            same = event.lesson == self.history.lesson and len(self.history) > 0
            self.previous = self.history.ghost() if same else None
            self.range = None
            self.history = LossHistory(event.lesson, event.total_steps, self.smoothing)
            self.history.steps_per_epoch = event.steps_per_epoch
            if event.dataset:
                from babytui.core.runs import DataKey

                self.history.data = DataKey(event.dataset, event.test_size, tuple(event.classes))
            self._empty_text = (
                f"Lesson {event.lesson} makes no updates, so there is no loss curve: the lessons that train have one."
                if event.total_steps == 0
                else "Waiting for the first steps..."
            )
        elif isinstance(event, StepLogged):
            self.history.add_losses(event.step, event.losses)
            self.history.lr = event.lr
        elif isinstance(event, EpochEnded):
            self.history.add_epoch(event.step, event.train_loss, event.test_loss, event.test_accuracy, event.val_loss, event.val_accuracy)
        elif isinstance(event, LrChanged):
            self.history.lr_marks.append((event.step, event.lr))
            self.history.lr = event.current
        elif isinstance(event, EarlierRun):  # a resumed run: its curve before the checkpoint
            self.history.add_points(event.steps, event.losses)
            for step, train_loss, test_loss, test_accuracy in event.epochs:
                self.history.add_epoch(step, train_loss, test_loss, test_accuracy)
        elif isinstance(event, BestRestored):
            self.history.best = (event.epoch, event.step, event.test_accuracy)
        elif isinstance(event, RangeTestLogged):
            if self.range is None or self.range.done:
                self.range = RangeCurve(total=event.total_steps)
            self.range.lrs.extend(event.lrs)
            self.range.losses.extend(event.losses)
        elif isinstance(event, RangeTestDone):
            self.range = RangeCurve(
                list(event.lrs), list(event.losses), len(event.lrs), list(event.smoothed), event.suggestion, event.lowest, True, event.reason
            )
        else:
            return
        self._dirty = True

    def show_plan(self, what: str = "", epochs: list[float] | None = None, lrs: list[float] | None = None) -> None:
        """Draw this lr schedule instead of the last run until the next one starts (no epochs: none)."""
        plan = (what, epochs, lrs or []) if epochs else None
        if plan == self.plan:
            return
        self.plan = plan
        self._dirty = True
        self.flush(now=True)

    def on_loss_plot_ghost_read(self, message: GhostRead) -> None:
        """Keep a saved run as its lesson's ghost: the previous run survives a restart."""
        self.set_saved_ghost(message.lesson, message.run_id, message.steps, message.losses)

    def set_saved_ghost(self, lesson: int, run_id: str, steps: list[float], losses: list[float]) -> None:
        """A lesson's newest saved run, its ghost until it runs again in this session."""
        if steps:
            self.saved_ghosts[lesson] = (run_id, ghost_of(steps, losses))
            self._dirty = True

    def on_loss_plot_course_read(self, message: CourseRead) -> None:
        """Keep the ghosts of the course read for a lesson (until a run of one of its lessons ends)."""
        self.course[message.lesson] = list(message.ghosts)
        self._dirty = True

    def forget_saved_ghost(self, lesson: int) -> None:
        """The lesson was reset: no saved run stands for its previous one any more."""
        self.saved_ghosts.pop(lesson, None)
        self._dirty = True

    def reset(self) -> None:
        """Forget the run shown and its ghost (another lesson's output is played next, or none)."""
        self.history = LossHistory(smoothing=self.smoothing)
        self.previous = None
        self.range = None
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
        """The plot when there is something to draw, else a sentence saying what will be here."""
        drawn = self.mode != "empty"
        if (drawn, self._empty_text) == self._shown_state:
            return
        self._shown_state = (drawn, self._empty_text)
        self.query_one(LossCanvas).display = drawn
        self.query_one("#loss-summary").display = drawn
        empty = self.query_one("#loss-empty", Static)
        empty.display = not drawn
        empty.update(self._empty_text)

    def summary(self) -> Text:
        """What is drawn, its latest numbers and a key to the colours."""
        mode = self.mode
        if mode == "range":
            return self._range_summary()
        if mode == "plan":
            assert self.plan is not None
            return Text.assemble((f"the lr the next run will follow: {self.plan[0]}", rgb_style(self.colours().mark)), "  · r runs it")
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
        if h.lr is not None:
            parts += ["  ", (f"lr {h.lr:.3g}", rgb_style(c.mark))]
        if h.lr_marks:
            step, lr = h.lr_marks[-1]
            parts += [(f" (set to {lr:g} at step {step:,}, | on the plot)", rgb_style(c.mark))]
        if h.test_loss and h.test_loss[-1] == h.test_loss[-1]:
            parts += ["  ", (f"● test loss {h.test_loss[-1]:.4f}", rgb_style(c.test))]
            parts += ["  ", (f"◆ accuracy {h.test_accuracy[-1]:.1f}% (right axis)", rgb_style(c.accuracy))]
            best = max(h.test_accuracy)
            if best == best and best > h.test_accuracy[-1]:
                parts += [(f" best {best:.1f}%", rgb_style(c.accuracy))]
        if h.val_loss and h.val_loss[-1] == h.val_loss[-1]:
            parts += ["  ", (f"■ validation loss {h.val_loss[-1]:.4f}  ▲ accuracy {h.val_accuracy[-1]:.1f}%", rgb_style(c.validation))]
        if h.best is not None:
            parts += ["  ", (f"restored epoch {h.best[0]}: {h.best[2]:.1f}% on test", rgb_style(c.accuracy))]
        if self.ghost is not None:
            parts += ["  ", (self.ghost_label, rgb_style(c.ghost))]
        course = self.course_ghosts
        if course:
            parts.append("  ghosts, accuracy by epoch:")
            for curve, ghost in zip(self.course_curves(), course):
                parts += [" ", (ghost.label, rgb_style(c.course[curve.hue % len(c.course)]))]
        parts.append(f"  · l: y as {'loss' if self.log_scale else 'log10(loss)'} · m: smoothing {smoothing_name(self.smoothing)} · z: zoom")
        return Text.assemble(*parts)

    def _range_summary(self) -> Text:
        """The range test's progress, then its suggestion."""
        curve, c = self.range, self.colours()
        assert curve is not None
        if not curve.done:
            last = f"  lr {curve.lrs[-1]:.3g}  loss {curve.losses[-1]:.4f}" if curve.lrs else ""
            return Text(f"LR range test: batch {len(curve.lrs)} of {curve.total}{last}")
        parts: list = [f"LR range test, {len(curve.lrs)} batches ({curve.reason}):  "]
        if curve.suggestion is None:
            parts.append("the loss never fell, so there is no lr to suggest")
        else:
            parts.append((f"| suggested lr {curve.suggestion:.3g}, where the loss fell fastest", rgb_style(c.mark)))
        if curve.lowest is not None and curve.suggestion is not None:
            parts.append(f"  · lowest loss at lr {curve.lowest:.3g}")
        return Text.assemble(*parts)

    def colours(self) -> PlotColours:
        """Line colours from the app's theme."""
        variables = self.app.theme_variables

        def rgb(name: str, fallback):
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
            validation=rgb("secondary", (200, 100, 220)),
            mark=rgb("accent", (230, 200, 60)),
            course=course_colours(surface),
        )

    def draw(self, plt: Any, width: int) -> None:
        """Draw what the plot shows into the canvas's figure (called when the canvas paints)."""
        mode, colours = self.mode, self.colours()
        if mode == "range" and self.range is not None:
            draw_range(plt, self.range, width, colours)
        elif mode == "plan" and self.plan is not None:
            draw_plan(plt, self.plan[1], self.plan[2], colours)
        else:
            draw_loss(plt, self.history, self.ghost, width, self.log_scale, colours, self.course_curves())

    def action_toggle_log(self) -> None:
        """Switch the y axis between the loss and log10 of the loss."""
        self.log_scale = not self.log_scale
        self._dirty = True
        self.flush(now=True)

    def action_smoothing(self) -> None:
        """Step through the smoothing choices: auto, off, 0.9, 0.99, 0.999."""
        index = SMOOTHING_CHOICES.index(self.smoothing) if self.smoothing in SMOOTHING_CHOICES else 0
        self.smoothing = SMOOTHING_CHOICES[(index + 1) % len(SMOOTHING_CHOICES)]
        self.history.set_smoothing(self.smoothing)
        self.notify(f"loss plot smoothing: {smoothing_name(self.smoothing)}", timeout=2)
        self._dirty = True
        self.flush(now=True)

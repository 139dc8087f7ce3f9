"""The main screen's lr tools: the LR range test, the lr changed while a run goes on, the schedule a
run will follow drawn before it, the previous saved run of a lesson as its ghost, and the newest
runs of the earlier lessons a lesson names as the ghosts of the course.

The screen's actions call these; what needs the core's files or torch runs in a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from babytui.core.errors import SettingsError
from babytui.core.events import LrChanged, RangeTestDone
from babytui.core.lessons import LESSONS, lesson_range
from babytui.core.settings import FIELDS

from .core_bridge import previous_run_losses
from .widgets.loss_plot import LossPlot
from .widgets.settings_form import SettingsForm, check

if TYPE_CHECKING:
    from babytui.core.lessons import Lesson

    from .screens.main import MainScreen

NUDGE = 2.0
"""What + multiplies the lr of a running run by, and - divides it by."""


class LrTools:
    """The lr tools of one main screen."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        """The main screen they act on."""
        self.suggestion: tuple[int, float] | None = None
        """(lesson, lr) the last range test suggested, for the u key."""
        self.ghosts_asked: set[int] = set()
        """Lessons whose last saved run was looked for already."""
        self.course_asked: set[int] = set()
        """Lessons whose ghosts of the course were read already (and nothing they name has run since)."""

    def range_test(self) -> None:
        """Run an LR range test of the lesson shown, with the form's settings."""
        screen = self.screen
        if screen.run.running:
            screen.notify(f"Lesson {screen.run.lesson} is running; stop it first (x).", severity="warning")
            return
        lesson = screen.lesson
        if not lesson.is_image:
            screen.notify(f"The LR range test is for the image lessons ({lesson_range(image_only=True)}).", severity="warning")
            return
        settings, errors = check(lesson, screen.query_one(SettingsForm).values())
        if settings is None:
            reason = "; ".join(f"{FIELDS[n].label if n in FIELDS else n}: {why}" for n, why in errors.items())
            screen.notify(reason, title="Cannot run the range test", severity="error")
            return
        if not screen.core_loaded:
            screen.notify("PyTorch is still loading; try again in a moment.", severity="warning")
            return
        screen.run.start_range_test(lesson, settings)
        screen._started()
        screen.action_show_view(1)  # the loss plot draws the test

    def nudge(self, factor: float) -> None:
        """Multiply the running run's lr by `factor` from its next batch."""
        if not self._can_steer():
            return
        self.screen.run.set_lr(factor=factor)
        self.screen.notify(f"lr {'doubled' if factor > 1 else 'halved'} from the next batch.", timeout=2)

    def submitted(self, text: str) -> None:
        """The lr field's value, entered while a run goes on: that run takes it from its next batch."""
        if not self._can_steer(quiet=True):
            return
        try:
            lr = FIELDS["lr"].parse(text)
        except SettingsError as exc:
            self.screen.notify(f"learning rate: {exc.reason}", severity="error")
            return
        self.screen.run.set_lr(lr)
        self.screen.notify(f"lr {lr:g} from the next batch.", timeout=2)

    def _can_steer(self, quiet: bool = False) -> bool:
        """True while an image lesson trains (not a range test), else say why (unless `quiet`)."""
        run = self.screen.run
        if run.running and run.range_test:
            why = "The range test sets its own lr each batch."
        elif run.running and run.lesson is not None and LESSONS[run.lesson - 1].is_image:
            return True
        else:
            why = "+ and - change the lr of an image lesson while it runs: start one with r."
        if not quiet:
            self.screen.notify(why, severity="warning")
        return False

    def handle_event(self, event: Any) -> None:
        """Follow the run: the form's lr after a change, the suggestion of a range test."""
        screen = self.screen
        if isinstance(event, LrChanged) and screen.lesson.number == screen.run.lesson:
            screen.query_one(SettingsForm).set_value("lr", FIELDS["lr"].format(event.lr))
        elif isinstance(event, RangeTestDone) and screen.run.lesson is not None:
            if event.suggestion is None:
                screen.notify("The loss never fell: no lr to suggest. The log says more.", severity="warning", timeout=8)
                return
            self.suggestion = (screen.run.lesson, event.suggestion)
            screen.notify(f"Suggested lr {event.suggestion:.3g} (where the loss fell fastest): u puts it in the form.", timeout=10)

    def use_suggestion(self) -> None:
        """Put the last range test's suggested lr into its lesson's form."""
        screen = self.screen
        if self.suggestion is None or self.suggestion[0] != screen.lesson.number:
            screen.notify("Run an LR range test first (t).", severity="warning")
            return
        text = f"{self.suggestion[1]:.3g}"
        screen.query_one(SettingsForm).set_value("lr", text)
        screen.notify(f"learning rate: {text}", timeout=3)

    def show_plan(self, lesson: Lesson, settings: Any) -> None:
        """Draw the lr schedule the next run of `lesson` will follow, while nothing runs."""
        from babytui.core.optim import planned_lrs

        plot = self.screen.query_one(LossPlot)
        if self.screen.run.running or settings is None or "schedule" not in lesson.fields or settings.schedule == "constant":
            if not self.screen.run.running:
                plot.show_plan()
            return
        peak = "highest" if settings.schedule == "onecycle" else "starting"
        plot.show_plan(f"{settings.schedule}, {peak} lr {settings.lr:g}, over {settings.epochs} epochs", *planned_lrs(settings))

    def load_ghost(self, lesson: Lesson) -> None:
        """Read the lesson's last saved run (in a worker) to show as the ghost of its next run, and
        the ghosts of the course it names."""
        self.load_course(lesson)
        if lesson.number in self.ghosts_asked:
            return
        self.ghosts_asked.add(lesson.number)
        plot = self.screen.query_one(LossPlot)

        def read() -> None:  # in a thread: a metrics file can hold 300,000 losses
            found = previous_run_losses(lesson.number)
            if found is not None:
                plot.post_message(LossPlot.GhostRead(lesson.number, *found))

        self.screen.run_worker(read, thread=True, exit_on_error=False, group="ghost")

    def load_course(self, lesson: Lesson) -> None:
        """Read the newest saved runs of the lessons `lesson` names (in a worker), once until one of them runs."""
        if not lesson.ghosts or lesson.number in self.course_asked:
            return
        self.course_asked.add(lesson.number)
        plot = self.screen.query_one(LossPlot)

        def read() -> None:  # in a thread: a few files of settings and epochs
            from babytui.core.runs import course_ghosts

            plot.post_message(LossPlot.CourseRead(lesson.number, course_ghosts(lesson.ghosts)))

        self.screen.run_worker(read, thread=True, exit_on_error=False, group="course-ghosts")

    def run_ended(self, number: int) -> None:
        """A run of lesson `number` ended: the lessons that name it read their ghosts again (now, if shown)."""
        for lesson in LESSONS:
            if number in lesson.ghosts and lesson.number in self.course_asked:
                self.course_asked.discard(lesson.number)
                if lesson is self.screen.lesson:
                    self.load_course(lesson)

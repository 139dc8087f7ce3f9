"""The babytui app: lessons on the left, the lesson, its settings and what training yields."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import Any, Iterable

from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer

from babytui.core.lessons import LESSONS, Lesson
from babytui.core.settings import DATASETS

from .core_bridge import load_core, render_code
from .screens.help import HelpScreen
from .screens.runs import RunsScreen
from .training import Training
from .widgets.control_bar import ControlBar
from .widgets.lesson_pane import LessonPane
from .widgets.output_area import VIEW_TABS, OutputArea
from .widgets.settings_form import SettingsForm
from .widgets.sidebar import LessonSidebar
from .widgets.status_line import StatusLine

COMMANDS = (
    ("Run", "Run the lesson with these settings", "run"),
    ("Pause / resume", "Hold the run before its next batch, or let it go on", "pause"),
    ("Step", "Run exactly one batch, then wait", "step"),
    ("Stop", "End the run after the current batch", "stop"),
    ("Reset weights", "Forget this lesson's results; the next run starts from fresh weights", "reset"),
    ("Next lesson", "Go to the next lesson", "next_lesson"),
    ("Previous lesson", "Go to the previous lesson", "previous_lesson"),
    ("Choose device", "Cycle through auto and the devices present", "cycle_device"),
    ("Choose dataset", "Cycle through the datasets of the image lessons", "cycle_dataset"),
    ("Runs", "The saved runs: compare two loss curves, resume a stopped one", "runs"),
    ("Help", "Show the keys", "help"),
)
"""(title, help, action) of every command the palette adds."""

VIEW_TITLES = ("Log", "Loss plot", "Weights", "Predictions", "Confusion matrix")
"""What keys 1-5 show."""


class BabytuiApp(Training):
    """Fourteen PyTorch lessons to read, change and run; training runs in a thread worker."""

    CSS_PATH = "app.tcss"
    TITLE = "babytui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    ALLOW_IN_MAXIMIZED_VIEW = "Footer, StatusLine"
    BINDINGS = [
        Binding("r,f5", "run", "Run"),
        Binding("p,space", "pause", "Pause"),
        Binding("s", "step", "Step"),
        Binding("x,escape", "stop", "Stop"),
        Binding("0,ctrl+r", "reset", "Reset"),
        Binding("d", "cycle_device", "Device"),
        Binding("D", "cycle_dataset", "Dataset", show=False),
        Binding("left_square_bracket,ctrl+up", "previous_lesson", "Previous", show=False),
        Binding("right_square_bracket,ctrl+down", "next_lesson", "Next", show=False),
        Binding("R", "runs", "Runs", show=False),
        Binding("question_mark", "help", "Help"),
        *(Binding(str(n), f"show_view({n - 1})", title, show=False) for n, title in enumerate(VIEW_TITLES, 1)),
        Binding("z", "zoom_output", "Zoom views", show=False),
        Binding("q", "quit", "Quit"),
    ]

    @dataclass
    class CoreLoaded(Message):
        """torch and the training loop finished importing in the background."""

        devices: tuple[str, ...]
        """The devices present, cpu first."""

    def __init__(self, lesson: int = 1) -> None:
        super().__init__()
        self.lesson: Lesson = LESSONS[lesson - 1]
        """The lesson shown."""
        self.values: dict[int, dict[str, str]] = {}
        """Each lesson's settings as typed, kept while moving between lessons."""
        self.settings: dict[int, Any] = {}
        """Each lesson's validated settings, None while a value is bad."""
        self.device = "auto"
        """The device chosen for the image lessons."""
        self.dataset = DATASETS[0]
        """The dataset chosen for the image lessons."""
        self.devices: tuple[str, ...] = ("cpu",)
        """The devices present (known once the core has loaded)."""
        self.core_loaded = False
        """True once torch and the training loop are imported."""

    def compose(self) -> ComposeResult:
        """Sidebar, lesson, settings with buttons, output; then the status line and keys."""
        with Horizontal(id="body"):
            yield LessonSidebar()
            with Vertical(id="main"):
                yield LessonPane()
                with Horizontal(id="work"):
                    with Vertical(id="settings-column"):
                        yield SettingsForm(self.lesson, self.form_values(self.lesson))
                        yield ControlBar()
                    yield OutputArea()
        yield StatusLine()
        yield Footer()

    async def on_mount(self) -> None:
        """Show the first lesson, then import torch once the first frame is out."""
        self.query_one(LessonSidebar).select(self.lesson.number)
        self.query_one(LessonSidebar).focus()
        self.query_one(LessonPane).show_lesson(self.lesson)
        self.show_where()
        self.call_after_refresh(self.load_core)

    @work(thread=True, exit_on_error=False, group="core")
    def load_core(self) -> None:
        """Import torch and the training loop off the interface thread."""
        self.post_message(self.CoreLoaded(load_core()))

    def on_babytui_app_core_loaded(self, message: CoreLoaded) -> None:
        """Note the devices; start a run asked for while torch was loading."""
        # torch's few hundred thousand objects live as long as the app: keep them out of Python's
        # full collections, each of which holds the GIL (so stalls training) for a third of a second.
        gc.freeze()
        self.core_loaded = True
        self.devices = message.devices
        if self._queued_steps is not None:
            steps, self._queued_steps = self._queued_steps, None
            self.start_run(steps)

    # Lessons and settings

    async def show_lesson(self, lesson: Lesson) -> None:
        """Show a lesson: its text, code and settings form."""
        self.lesson = lesson
        self.query_one(LessonPane).show_lesson(lesson)
        await self.query_one(SettingsForm).load(lesson, self.form_values(lesson))
        if self.running_lesson is None:
            status = self.query_one(StatusLine)
            status.reset()
            self.show_where()

    def form_values(self, lesson: Lesson) -> dict[str, str]:
        """The text to put in a lesson's form: as last typed, with the chosen device and dataset."""
        values = dict(self.values.get(lesson.number, {}))
        if "device" in lesson.fields:
            values["device"] = self.device
        if "dataset" in lesson.fields:
            values["dataset"] = self.dataset
        return values

    def show_where(self) -> None:
        """The chosen device and dataset in the idle status line."""
        image = self.lesson.is_image
        self.query_one(StatusLine).set_where(self.device if image else "cpu", self.dataset if image else "")

    async def on_lesson_sidebar_selected(self, message: LessonSidebar.Selected) -> None:
        """Follow the sidebar's highlight (skipping lessons already passed by)."""
        if message.number != self.query_one(LessonSidebar).highlighted_number:
            return
        if message.number != self.lesson.number:
            await self.show_lesson(LESSONS[message.number - 1])

    def on_settings_form_changed(self, message: SettingsForm.Changed) -> None:
        """Keep the checked settings, redraw the code and allow or block a run."""
        if message.lesson != self.lesson.number:
            return
        self.values[message.lesson] = message.values
        self.settings[message.lesson] = message.settings
        if message.settings is not None:
            self.device = message.values.get("device", self.device)
            self.dataset = message.values.get("dataset", self.dataset)
            self.query_one(LessonPane).show_code(render_code(self.lesson, message.settings))
            if self.running_lesson is None:
                self.show_where()
        self.update_controls()

    def update_controls(self) -> None:
        """Enable the buttons that make sense now."""
        self.query_one(ControlBar).set_state(
            running=self.running_lesson is not None,
            paused=bool(self.control and self.control.paused),
            can_run=self.settings.get(self.lesson.number) is not None,
        )

    def action_next_lesson(self) -> None:
        """Go to the next lesson."""
        self.query_one(LessonSidebar).move(+1)

    def action_previous_lesson(self) -> None:
        """Go to the previous lesson."""
        self.query_one(LessonSidebar).move(-1)

    def action_cycle_device(self) -> None:
        """Choose the next device: auto, then each one present."""
        options = ("auto", *self.devices)
        self.device = options[(options.index(self.device) + 1) % len(options)] if self.device in options else "auto"
        self._set_choice("device", self.device)

    def action_cycle_dataset(self) -> None:
        """Choose the next dataset for the image lessons."""
        index = DATASETS.index(self.dataset) if self.dataset in DATASETS else -1
        self.dataset = DATASETS[(index + 1) % len(DATASETS)]
        self._set_choice("dataset", self.dataset)

    def _set_choice(self, name: str, value: str) -> None:
        """Put a device or dataset choice into the form and say so."""
        applies = self.query_one(SettingsForm).set_value(name, value)
        if self.running_lesson is None:
            self.show_where()
        note = "" if applies else " (for the image lessons, 10-14; this one runs on the CPU)"
        self.notify(f"{name}: {value}{note}", timeout=3)

    def action_zoom_output(self) -> None:
        """Let the output views fill the screen (z or escape goes back)."""
        if self.screen.maximized is not None:
            self.screen.minimize()
        else:
            self.screen.maximize(self.query_one(OutputArea), container=False)

    def action_show_view(self, index: int) -> None:
        """Show an output tab (keys 1-5: log, loss, weights, predictions, confusion)."""
        self.query_one(OutputArea).show_tab(VIEW_TABS[index])

    def action_help(self) -> None:
        """Show the keys."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_runs(self) -> None:
        """Show the saved runs; one chosen there is resumed."""
        if not isinstance(self.screen, RunsScreen):
            self.push_screen(RunsScreen(), self.resume_run)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands, every babytui action, and a jump to each lesson."""
        yield from super().get_system_commands(screen)
        for title, help_text, action in COMMANDS:
            yield SystemCommand(title, help_text, getattr(self, f"action_{action}"))
        for lesson in LESSONS:
            yield SystemCommand(
                f"Lesson {lesson.number}: {lesson.title}",
                "Go to this lesson",
                lambda number=lesson.number: self.query_one(LessonSidebar).select(number),
            )


def run_app() -> int:
    """Run the app in this terminal; the exit code."""
    app = BabytuiApp()
    result = app.run()
    return result if isinstance(result, int) else (app.return_code or 0)

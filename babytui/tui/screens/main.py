"""The main screen: the lessons on the left, the lesson page and the views beside them, the keys (runs: run_keys)."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer

from babytui.core.datasets import DATASETS
from babytui.core.formatting import printable
from babytui.core.lessons import LESSONS, Lesson, lesson_range
from babytui.core.settings import FIELDS

from .. import preferences
from ..controller import RunController
from ..core_bridge import load_core, render_code
from ..lr_tools import LrTools
from ..widgets.control_bar import ControlBar
from ..widgets.lesson_pane import LessonPane
from ..widgets.output_area import VIEW_TABS, OutputArea
from ..widgets.settings_form import SettingsForm
from ..widgets.sidebar import LessonSidebar
from ..widgets.status_line import StatusLine
from ..widgets.workspace import Workspace
from .run_keys import RunKeys

VIEW_TITLES = ("Log", "Loss plot", "Weights", "Predictions", "Confusion matrix", "Inside the network", "Training health", "Layers (architecture card)")
"""What keys 1-8 show."""
SAVE_DELAY = 1.0
"""Seconds after the last change before the preferences file is written."""


class MainScreen(RunKeys, Screen):
    """Read a lesson, change its settings, run it and watch it learn."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-medium"), (190, "-wide")]
    BINDINGS = [
        Binding("r,f5", "run", "Run"),
        Binding("p,space,f6", "pause", "Pause"),
        Binding("p,space,f6", "resume", "Resume"),
        Binding("s,f7", "step", "Step"),
        Binding("x,f8", "stop", "Stop"),
        Binding("escape", "leave_field", "Leave field", show=False),
        Binding("ctrl+r", "reset", "Reset", show=False),
        Binding("d", "cycle_device", "Device", show=False),
        Binding("D", "cycle_dataset", "Dataset", show=False),
        Binding("left_square_bracket,ctrl+up", "previous_lesson", "Previous", show=False),
        Binding("right_square_bracket,ctrl+down", "next_lesson", "Next", show=False),
        Binding("R", "app.runs", "Runs", show=False),
        Binding("0,alt+0", "show_lesson_page", "Pages", key_display="0-8"),
        *(Binding(f"{n},alt+{n}", f"show_view({n - 1})", title, show=False) for n, title in enumerate(VIEW_TITLES, 1)),
        Binding("z", "zoom_output", "Zoom", show=False),
        Binding("t", "range_test", "LR range test", show=False),
        Binding("u", "use_suggested_lr", "Use suggested lr", show=False),
        Binding("plus,equals_sign", "lr_times(2.0)", "lr x2", show=False),
        Binding("minus", "lr_times(0.5)", "lr /2", show=False),
    ]

    @dataclass
    class CoreLoaded(Message):
        """torch and the training loop finished importing in the background."""

        devices: tuple[str, ...]
        """The devices present, cpu first."""

    def __init__(self, lesson: int | None = None) -> None:
        super().__init__(id="main-screen")
        self.prefs, self.prefs_warning = preferences.load()
        """What the app remembered from last time; the reason, when the file could not be used."""
        self.lesson: Lesson = LESSONS[(lesson or self.prefs.lesson) - 1]
        """The lesson shown."""
        self.values: dict[int, dict[str, str]] = {n: dict(v) for n, v in self.prefs.values.items()}
        """Each lesson's own settings as typed, kept while moving between lessons and across sessions."""
        self.shared: dict[str, str] = dict(self.prefs.shared)
        """What the image lessons share (device, dataset, data root, trust data), as typed."""
        self.settings: dict[int, Any] = {}
        """Each lesson's validated settings, None while a value is bad."""
        self.device = self.shared.get("device", "auto")
        """The device chosen for the image lessons (the last valid choice)."""
        self.dataset = self.shared.get("dataset", DATASETS[0])
        """The dataset chosen for the image lessons (the last valid choice)."""
        self.devices: tuple[str, ...] = ("cpu",)
        """The devices present (known once the core has loaded)."""
        self.core_loaded = False
        """True once torch and the training loop are imported."""
        self.run = RunController(self)
        """The run in progress, if any."""
        self.lr_tools = LrTools(self)
        """The range test, the lr changed while running, the planned schedule, the saved ghost."""
        self._queued: tuple[Any, ...] | None = None  # a run asked for while torch was still loading
        self._save_timer: Any = None

    @property
    def running_lesson(self) -> int | None:
        """The lesson being trained, None when idle."""
        return self.run.lesson

    @property
    def control(self) -> Any:
        """The Control of the run in progress, None when idle."""
        return self.run.control

    def compose(self) -> ComposeResult:
        """Sidebar, then the lesson page and the views; the status line and keys below."""
        with Horizontal(id="body"):
            yield LessonSidebar()
            yield Workspace(self.lesson, self.form_values(self.lesson))
        yield StatusLine()
        yield Footer()

    def on_mount(self) -> None:
        """Show the first lesson and the results remembered, then import torch once the first frame is out."""
        sidebar = self.query_one(LessonSidebar)
        for number, (mark, result) in self.prefs.results.items():
            sidebar.set_result(number, mark, result)
        sidebar.select(self.lesson.number)
        sidebar.focus()
        self.query_one(LessonPane).show_lesson(self.lesson)
        self.query_one(OutputArea).show_lesson(self.lesson.number)
        self.show_where()
        if self.prefs_warning:
            self.notify(printable(self.prefs_warning), severity="warning", timeout=10, markup=False)
        self.call_after_refresh(self.load_core)
        self.lr_tools.load_ghost(self.lesson)

    @work(thread=True, exit_on_error=False, group="core")
    def load_core(self) -> None:
        """Import torch and the training loop off the interface thread."""
        self.post_message(self.CoreLoaded(load_core()))

    def on_main_screen_core_loaded(self, message: CoreLoaded) -> None:
        """Note the devices; start a run asked for while torch was loading."""
        # torch's few hundred thousand objects live as long as the app: keep them out of Python's
        # full collections, each of which holds the GIL (so stalls training) for a third of a second.
        gc.freeze()
        self.core_loaded = True
        self.devices = message.devices
        if self._queued is not None:
            queued, self._queued = self._queued, None
            self.start_run(*queued)

    # The lesson page and the views

    def action_show_lesson_page(self) -> None:
        """The lesson's text, code and settings (key 0), with the keyboard on its settings."""
        if self.maximized is not None:
            self.minimize()
        self.query_one(Workspace).show_lesson_page()
        self.query_one(SettingsForm).focus()

    def action_show_view(self, index: int) -> None:
        """Show an output tab (keys 1-8: log, loss, weights, predictions, confusion, inside, health, layers)."""
        self.query_one(Workspace).show_view(VIEW_TABS[index])

    def action_zoom_output(self) -> None:
        """Let the output views fill the screen (z or escape goes back)."""
        if self.maximized is not None:
            self.minimize()
            return
        workspace = self.query_one(Workspace)
        if not workspace.wide and workspace.lesson_page_shown:
            workspace.show_view()
        self.maximize(self.query_one(OutputArea), container=False)

    def action_leave_field(self) -> None:
        """Escape in a settings field gives the keys back to the app (the form keeps the focus)."""
        form = self.query_one(SettingsForm)
        if form.editing:
            form.leave_field()

    # Lessons and settings

    async def show_lesson(self, lesson: Lesson) -> None:
        """Show a lesson: its text, code, settings form and its own last output."""
        form = self.query_one(SettingsForm)
        if form.lesson is not None and form.shows(form.lesson):  # what was typed last, even if not checked yet
            self.keep_typed(form.lesson.number, form.values())
        self.lesson = lesson
        self.query_one(LessonPane).show_lesson(lesson)
        self.query_one(OutputArea).show_lesson(lesson.number)
        await self.query_one(SettingsForm).load(lesson, self.form_values(lesson))
        if not self.run.running:
            self.query_one(StatusLine).reset()
            self.show_where()
        self.lr_tools.load_ghost(lesson)
        self.remember_soon()

    def form_values(self, lesson: Lesson) -> dict[str, str]:
        """The text to put in a lesson's form: as last typed, with the image lessons' shared choices."""
        values = dict(self.values.get(lesson.number, {}))
        values.update({name: text for name, text in self.shared.items() if name in lesson.fields})
        if "device" in lesson.fields:
            values["device"] = self.device
        if "dataset" in lesson.fields:
            values["dataset"] = self.dataset
        return values

    def show_where(self) -> None:
        """The chosen device and dataset in the idle status line."""
        image = self.lesson.is_image
        self.query_one(StatusLine).set_where(self.device if image else "cpu", self.dataset if image else "")

    async def on_lesson_sidebar_lesson_shown(self, message: LessonSidebar.LessonShown) -> None:
        """Follow the sidebar's highlight (skipping lessons already passed by)."""
        if message.number != self.query_one(LessonSidebar).highlighted_number:
            return
        if message.number != self.lesson.number:
            await self.show_lesson(LESSONS[message.number - 1])

    def on_lesson_sidebar_opened(self, message: LessonSidebar.Opened) -> None:
        """Enter on a lesson: its page, with the keyboard in its first setting."""
        self.query_one(Workspace).show_lesson_page()
        self.call_after_refresh(self.query_one(SettingsForm).action_edit)

    def on_settings_form_changed(self, message: SettingsForm.Changed) -> None:
        """Keep the settings as typed and checked, redraw the code and allow or block a run."""
        if message.lesson != self.lesson.number:
            return
        self.keep_typed(message.lesson, message.values)
        self.settings[message.lesson] = message.settings
        self.query_one(OutputArea).show_settings(self.lesson, message.settings)
        if message.settings is not None:
            self.device = message.values.get("device", self.device)
            self.dataset = message.values.get("dataset", self.dataset)
            self.query_one(LessonPane).show_code(render_code(self.lesson, message.settings))
            if not self.run.running:
                self.show_where()
        self.lr_tools.show_plan(self.lesson, message.settings)
        self.update_controls()
        self.remember_soon()

    def on_settings_form_entered(self, message: SettingsForm.Entered) -> None:
        """Enter in the lr field while a run goes on gives the run that lr from its next batch."""
        if message.name == "lr" and self.run.running:
            self.lr_tools.submitted(message.text)

    def action_range_test(self) -> None:
        """Run an LR range test of this lesson with its settings."""
        self.lr_tools.range_test()

    def action_use_suggested_lr(self) -> None:
        """Put the range test's suggested lr in the form."""
        self.lr_tools.use_suggestion()

    def action_lr_times(self, factor: float) -> None:
        """Double (or halve) the lr of the run in progress from its next batch."""
        self.lr_tools.nudge(factor)

    def keep_typed(self, lesson: int, values: dict[str, str]) -> None:
        """Keep a lesson's settings as typed: its own, and those the image lessons share."""
        self.values[lesson] = {k: v for k, v in values.items() if k not in preferences.SHARED}
        self.shared.update({k: v for k, v in values.items() if k in preferences.SHARED})

    def changed_values(self, lesson: int) -> dict[str, str]:
        """A lesson's own settings as typed, less those that are its defaults (a newer default then applies)."""
        defaults = LESSONS[lesson - 1].defaults
        return {
            name: text for name, text in self.values.get(lesson, {}).items()
            if name not in FIELDS or text != FIELDS[name].format(getattr(defaults, name))
        }

    def update_controls(self) -> None:
        """Enable the buttons that make sense now; the footer follows."""
        self.query_one(ControlBar).set_state(
            running=self.run.running, paused=self.run.paused, can_run=self.settings.get(self.lesson.number) is not None
        )
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer says Pause while running, Resume while paused (the same keys)."""
        if action == "pause":
            return None if not self.run.running else not self.run.paused
        if action == "resume":
            return self.run.paused
        return True

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
        self.shared[name] = value
        applies = self.query_one(SettingsForm).set_value(name, value)
        if not self.run.running:
            self.show_where()
        note = "" if applies else f" (for the image lessons, {lesson_range(image_only=True)}; this one runs on the CPU)"
        self.notify(f"{name}: {value}{note}", timeout=3)
        self.remember_soon()

    # Remembered from one session to the next

    def remember_soon(self) -> None:
        """Write the preferences once the changes have settled (typing is many changes)."""
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(SAVE_DELAY, self.remember)

    def remember(self) -> None:
        """Write the lesson shown, the settings as typed and the sidebar's results, if they changed."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        if not self.is_mounted:
            return
        form = self.query_one(SettingsForm)
        if form.lesson is not None and form.shows(form.lesson):  # typed a moment ago, not checked yet
            self.keep_typed(form.lesson.number, form.values())
        changed = {n: self.changed_values(n) for n in self.values}
        prefs = preferences.Preferences(
            self.lesson.number, {n: v for n, v in changed.items() if v}, dict(self.shared),
            self.query_one(LessonSidebar).results(),
        )
        if prefs.to_json() == self.prefs.to_json():
            return
        warning = preferences.save(prefs)
        if warning:
            self.notify(printable(warning), severity="warning", timeout=8, markup=False)
        else:
            self.prefs = prefs

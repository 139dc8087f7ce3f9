"""The commands the palette (ctrl+p) adds: every action of the main screen by name, and each lesson."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from textual.app import SystemCommand

from babytui.core.lessons import LESSONS

if TYPE_CHECKING:
    from .app import BabytuiApp

COMMANDS = (
    ("Run", "Run the lesson with these settings", "run"),
    ("Pause / resume", "Hold the run before its next batch, or let it go on", "pause"),
    ("Step", "Run exactly one batch, then wait", "step"),
    ("Stop", "End the run after the current batch", "stop"),
    ("Reset lesson", "Forget this lesson's output, its result and its previous run's curve (asks first)", "reset"),
    ("Lesson page", "Show the lesson's text, code and settings", "show_lesson_page"),
    ("Zoom views", "Let the output views fill the screen, or give the room back", "zoom_output"),
    ("Next lesson", "Go to the next lesson", "next_lesson"),
    ("Previous lesson", "Go to the previous lesson", "previous_lesson"),
    ("Choose device", "Cycle through auto and the devices present", "cycle_device"),
    ("Choose dataset", "Cycle through the datasets of the image lessons", "cycle_dataset"),
    ("Runs", "The saved runs: compare any number of them, resume a stopped one", "app.runs"),
    ("LR range test", "Grow the lr each batch and watch the loss: the lr it suggests", "range_test"),
    ("Use the suggested lr", "Put the last range test's suggested lr in the form", "use_suggested_lr"),
    ("Double the lr", "The running image lesson's lr times 2, from its next batch", "lr_times(2.0)"),
    ("Halve the lr", "The running image lesson's lr divided by 2, from its next batch", "lr_times(0.5)"),
    ("Help", "Show the keys", "app.help"),
)
"""(title, help, action) of every command the palette adds; actions without `app.` are the main screen's."""


def palette_commands(app: "BabytuiApp") -> Iterator[SystemCommand]:
    """Every babytui action, and a jump to each lesson (in the course's order)."""
    from .widgets.sidebar import LessonSidebar

    for title, help_text, action in COMMANDS:
        yield SystemCommand(title, help_text, lambda action=action: app.run_action(action, app.main))
    width = len(str(len(LESSONS)))
    for lesson in LESSONS:  # padded ("Lesson  1"), as the palette sorts the titles as text
        yield SystemCommand(
            f"Lesson {lesson.number:>{width}}: {lesson.title}", "Go to this lesson",
            lambda number=lesson.number: app.main.query_one(LessonSidebar).select(number),
        )

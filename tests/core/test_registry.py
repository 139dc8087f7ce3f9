"""The course is its registry: a lesson added from a module of a few lines shows up everywhere."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from babytui.cli import main
from babytui.core.lessons import LESSONS, register, unregister

TOY = '''
"""A toy lesson: lesson 6's loop aiming at a target of 3."""

from babytui.core.lessons.small import SmallLesson
from babytui.core.settings import Settings

LESSON = SmallLesson(
    {number},
    "Toy: a far target",
    "A lesson written inside a test. " * 10,
    ("x", "target", "lr", "epochs", "seed", "max_steps"),
    Settings().replace(x=(1.0, 2.0), target=3.0, lr=0.05, epochs=40),
)
'''


@pytest.fixture
def toy_lesson(tmp_path: Path):
    """A lesson module written to a file, imported and registered as the course's last lesson."""
    path = tmp_path / "toy_lesson.py"
    path.write_text(TOY.format(number=len(LESSONS) + 1))
    spec = importlib.util.spec_from_file_location("toy_lesson", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lesson = register(module.LESSON)
    try:
        yield lesson
    finally:
        unregister(lesson)


def test_a_registered_lesson_is_listed_trained_and_exported(toy_lesson, capsys, tmp_path: Path) -> None:
    number = str(toy_lesson.number)
    assert main(["lessons"]) == 0
    assert f"{number}  Toy: a far target" in capsys.readouterr().out
    assert main(["train", "--lesson", number, "--json", "--no-save"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["lesson"] == toy_lesson.number and result["steps"] == 40
    assert abs(result["outputs"][0] - 3.0) < abs(0.0 - 3.0)  # it learns toward the target
    script = tmp_path / "toy.py"
    assert main(["export", "--lesson", number, "-o", str(script)]) == 0
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"final loss: {result['final_loss']:.8g}" in done.stdout


def test_a_lesson_out_of_order_is_refused(toy_lesson) -> None:
    with pytest.raises(ValueError, match="next number"):
        register(toy_lesson)


async def test_a_registered_lesson_is_in_the_apps_sidebar(toy_lesson) -> None:
    from babytui.tui.app import BabytuiApp
    from babytui.tui.widgets.sidebar import LessonSidebar

    app = BabytuiApp()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        sidebar = app.query_one(LessonSidebar)
        assert sidebar.item(toy_lesson.number).title == "Toy: a far target"
        sidebar.select(toy_lesson.number)
        for _ in range(100):
            if app.main.lesson is toy_lesson:
                break
            await pilot.pause(0.02)
        assert app.main.lesson is toy_lesson


def test_listing_the_course_loads_no_torch() -> None:
    code = "import sys, babytui.core.lessons, babytui.core.settings, babytui.tui.app; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"

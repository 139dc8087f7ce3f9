"""`babytui lessons`: every lesson with its settings' defaults."""

from __future__ import annotations

import argparse

from ..core.settings import FIELDS

WHERE = ("data_root", "max_steps", "device", "dataset", "trust_data")
"""Settings that say where and how long a run goes, not what a lesson is: left out of the list."""


def run(args: argparse.Namespace) -> int:
    """Print one line per lesson."""
    from ..core.lessons import LESSONS

    width = max(len(lesson.title) for lesson in LESSONS) + 1
    for lesson in LESSONS:
        settings = ", ".join(
            f"{name}={FIELDS[name].format(getattr(lesson.defaults, name))}" for name in lesson.fields if name not in WHERE
        )
        print(f"{lesson.number:>2}  {lesson.title:<{width}} {settings}")
    return 0

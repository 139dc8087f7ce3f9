"""`babytui lessons`: every lesson with its settings' defaults; `babytui lessons N`: its architecture card."""

from __future__ import annotations

import argparse
import json

from ..core.settings import FIELDS

WHERE = ("data_root", "max_steps", "device", "dataset", "trust_data")
"""Settings that say where and how long a run goes, not what a lesson is: left out of the list."""
CARD_HEADER = ("layer", "does", "output", "parameters", "multiply-adds")
"""The columns of an architecture card."""


def run(args: argparse.Namespace) -> int:
    """Print one line per lesson, or one lesson's architecture card (for the settings given)."""
    from ..core.lessons import LESSONS

    number = getattr(args, "number", None) or getattr(args, "lesson", None)
    if number is not None:
        return show_card(args, number)
    width = max(len(lesson.title) for lesson in LESSONS) + 1
    for lesson in LESSONS:
        settings = ", ".join(
            f"{name}={FIELDS[name].format(getattr(lesson.defaults, name))}" for name in lesson.fields if name not in WHERE
        )
        print(f"{lesson.number:>2}  {lesson.title:<{width}} {settings}")
    return 0


def show_card(args: argparse.Namespace, number: str) -> int:
    """The card of lesson `number` with the settings given as flags, as a table or JSON."""
    from ..core.architecture import lesson_card
    from .parser import lesson_and_settings

    args.lesson = number
    lesson, settings = lesson_and_settings(args)
    card = lesson_card(lesson, settings)
    if args.json:
        print(json.dumps(card.as_dict() if card is not None else {"lesson": lesson.number, "title": lesson.title, "layers": []}))
        return 0
    if card is None:
        print(f"lesson {lesson.number}, {lesson.title}: no model (nothing to learn, so no layers)")
        return 0
    print(card_text(card))
    return 0


def card_text(card) -> str:
    """An architecture card as an aligned text table with its totals."""
    from ..core.architecture import shape_text

    rows = [CARD_HEADER]
    for row in card.rows:
        rows.append(
            (row.name, row.does, shape_text(row.output), row.arithmetic, f"{row.multiply_adds:,}" if row.multiply_adds else "")
        )
    rows.append(("total", "", "", f"{card.parameters:,}", f"{card.multiply_adds:,}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(CARD_HEADER))]
    lines = [f"lesson {card.lesson}, {card.title}: one input of {shape_text(card.input)}"]
    for i, r in enumerate(rows):
        cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1]), r[2].ljust(widths[2]), r[3].rjust(widths[3]), r[4].rjust(widths[4])]
        lines.append("  ".join(cells).rstrip())
        if i == 0 or i == len(rows) - 2:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("multiply-adds are per input, of the convolutions and linear layers (bias adds not counted)")
    return "\n".join(lines)

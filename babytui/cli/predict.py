"""`babytui predict --run RUN IMAGE...`: what a trained run makes of your own pictures (top 3, and what if)."""

from __future__ import annotations

import argparse
import json

TOP = 3
"""Classes shown for each picture."""


def run(args: argparse.Namespace) -> int:
    """Classify each picture with the run's last checkpoint; a table or one JSON object."""
    from ..core.inside import WHAT_IFS, load_picture, printable, saved_subject

    subject = saved_subject(args.run)
    pictures = [load_picture(path) for path in args.images]  # every file checked before anything is printed
    results = []
    for path, picture in zip(args.images, pictures):
        if args.what_if:
            changes = subject.what_ifs(picture)
        else:
            changes = [(WHAT_IFS[0], picture, subject.classify(picture.unsqueeze(0))[0])]
        results.append((path, [(change, top_classes(p, subject.classes)) for change, _, p in changes]))
    if args.json:
        print(json.dumps(as_json(args.run, subject, results)))
        return 0
    from ..core.runs import RunStore

    print(f"run {RunStore().find(args.run).id}: lesson {subject.lesson.number}, weights after {subject.step:,} updates")
    for path, changes in results:
        print(f"{printable(path)}: {top_text(changes[0][1])}")
        for change, top in changes[1:]:
            print(f"  {change + ':':<10} {top_text(top)}")
    return 0


def top_classes(probabilities, classes: tuple[str, ...]) -> list[tuple[str, float]]:
    """The TOP most likely (class name, probability)."""
    values, indices = probabilities.topk(min(TOP, len(probabilities)))
    return [(classes[i] if i < len(classes) else f"class {i}", float(v)) for i, v in zip(indices.tolist(), values)]


def top_text(top: list[tuple[str, float]]) -> str:
    """'cat 61.2%, dog 20.1%, frog 5.3%'."""
    from ..core.inside import printable

    return ", ".join(f"{printable(name)} {100 * p:.1f}%" for name, p in top)


def as_json(ref: str, subject, results) -> dict:
    """The predictions as plain JSON-ready values."""
    from ..core.runs import RunStore

    def entries(top):
        return [{"class": name, "probability": round(p, 6)} for name, p in top]

    images = []
    for path, changes in results:
        item = {"path": path, "top": entries(changes[0][1])}
        if len(changes) > 1:
            item["what_if"] = {change: entries(top) for change, top in changes[1:]}
        images.append(item)
    return {"run": RunStore().find(ref).id, "lesson": subject.lesson.number, "step": subject.step, "images": images}

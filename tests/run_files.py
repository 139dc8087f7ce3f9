"""Saved runs written by hand with fixed numbers, for the tests of what reads them back."""

from __future__ import annotations

import json

from babytui.core.lessons import get_lesson
from babytui.core.runs import RunStore


def written_run(
    lesson: int, accuracies: list[float], *, per_epoch: int = 10, dataset: str = "cifar10", test: int = 16,
    classes: tuple[str, ...] = ("plane", "car"), end: str = "finished", planned: int = 0,
):
    """A saved run written by hand: a start, a steps record and a scored epoch per accuracy, then its
    end ('finished', 'stopped' or 'crashed'; `planned` more epochs than it did: cut short by
    --max-steps); its id and its lock, still held (a run being written)."""
    number = get_lesson(lesson)
    run = RunStore().create(number, number.defaults)
    records = [{
        "type": "start", "device": "cpu", "dataset": dataset, "classes": list(classes), "epochs": planned or len(accuracies),
        "steps_per_epoch": per_epoch, "total_steps": per_epoch * len(accuracies), "data": {"dataset": dataset, "test": test},
    }]
    for epoch, accuracy in enumerate(accuracies, 1):
        step = epoch * per_epoch
        records.append({"type": "steps", "epoch": epoch, "step": step, "elapsed": 0.1 * step, "losses": [2.0] * per_epoch})
        records.append({"type": "epoch", "epoch": epoch, "step": step, "train_loss": 1.0, "test_loss": 1.2, "test_accuracy": accuracy, "seconds": 1.0})
    if end != "crashed":
        records.append({
            "type": "final", "steps": per_epoch * len(accuracies), "epochs": len(accuracies), "seconds": 1.0,
            "final_loss": 1.0, "test_accuracy": accuracies[-1], "stopped": end == "stopped",
        })
    (run.path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return run.id, run.write_lock()


def fixed_run(lesson: int, accuracies: list[float], **options) -> str:
    """A saved run written by hand (see `written_run`), not running; its id."""
    run_id, lock = written_run(lesson, accuracies, **options)
    lock.release()
    return run_id

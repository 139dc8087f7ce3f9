"""The ghosts of the course: the newest saved run of each earlier lesson a lesson names, as its test
accuracy by epoch, read through the run store (a damaged run is left out, never a traceback)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from babytui.core.lessons import LESSONS, get_lesson
from babytui.core.runs import DataKey, RunStore, course_ghosts, ghosts_for
from babytui.core.runs.ghosts import ghost_of
from babytui.core.runs.metrics import Metrics
from babytui.core.session import Session
from image_data import random_image_data
from run_files import fixed_run, written_run

torch.set_num_threads(1)
CIFAR = DataKey("cifar10", 16, ("plane", "car"))


def test_a_runs_epochs_are_placed_by_the_steps_in_its_epoch_and_convert_to_another_runs_steps() -> None:
    start = {"steps_per_epoch": 12500, "dataset": "cifar10", "classes": ["plane", "car"], "data": {"test": 16}}
    epochs = [
        {"epoch": 1, "step": 12500, "test_accuracy": 40.0},
        {"epoch": 2, "step": 25000, "test_accuracy": 50.0},
        {"epoch": 3, "step": 31250, "test_accuracy": 52.0},  # stopped a half epoch in
        {"epoch": 4, "step": 31250, "test_accuracy": None},  # not scored: left out
    ]
    metrics = Metrics(epochs=epochs, start=start, final={"stopped": True, "test_accuracy": 52.0})
    ghost = ghost_of(14, "run", metrics)
    assert ghost.epochs == (1.0, 2.0, 2.5) and ghost.accuracy == (40.0, 50.0, 52.0)
    assert ghost.data == CIFAR and not ghost.finished and ghost.label == "14 52.0% (part)"
    xs, ys = ghost.on_steps(196)  # batch 256 of 50,000 images: 196 steps an epoch
    assert xs == [196.0, 392.0, 490.0] and ys == [40.0, 50.0, 52.0]
    assert ghost_of(14, "run", Metrics(epochs=[{"epoch": 1, "step": 10, "test_accuracy": None}], start=start)) is None


def test_the_newest_finished_run_of_each_lesson_is_its_ghost_else_the_newest_stopped_one() -> None:
    older = fixed_run(14, [30.0, 40.0, 50.0])
    newest_finished = fixed_run(14, [35.0, 45.0, 62.8])
    fixed_run(14, [20.0], end="stopped")  # newer, but stopped after one epoch: it would hide what 14 reaches
    fixed_run(14, [25.0], planned=25)  # newer still, ended by --max-steps after one epoch of 25: the same
    only_stopped = fixed_run(15, [41.0, 55.5], end="stopped")
    _, running = written_run(16, [70.0])  # still running (its lock held): not a ghost yet
    try:
        ghosts = course_ghosts((15, 14, 16, 13))
    finally:
        running.release()
    assert [(g.lesson, g.run_id) for g in ghosts] == [(15, only_stopped), (14, newest_finished)]
    assert older not in {g.run_id for g in ghosts}
    assert [g.label for g in ghosts] == ["15 55.5% (part)", "14 62.8%"]


def test_only_runs_on_the_same_test_images_compare() -> None:
    on_cifar = fixed_run(14, [50.0])
    on_shapes = fixed_run(14, [90.0], dataset="shapes")  # newer, on other data
    fixed_run(15, [60.0], test=10000)  # the full test split: not the same 16 images
    ghosts = course_ghosts((14, 15))
    assert {g.run_id for g in ghosts if g.lesson == 14} == {on_cifar, on_shapes}
    assert [g.run_id for g in ghosts_for(ghosts, CIFAR)] == [on_cifar]
    assert [g.run_id for g in ghosts_for(ghosts, DataKey("shapes"))] == [on_shapes]
    assert [g.lesson for g in ghosts_for(ghosts, DataKey("cifar10", 10000, ()))] == [15]  # classes unknown: by name and size


def test_damaged_runs_are_left_out_without_an_error() -> None:
    good = fixed_run(14, [50.0])
    broken_settings = fixed_run(14, [60.0])
    (RunStore().find(broken_settings).path / "settings.json").write_text("{not json")
    torn = fixed_run(14, [70.0])
    (RunStore().find(torn).path / "metrics.jsonl").write_text('{"type": "start", "dataset": "cifar10", "steps_per_')
    link = RunStore().root / "20991231-000000-l14-link"
    link.symlink_to(RunStore().find(good).path)
    assert [g.run_id for g in course_ghosts((14,))] == [good]


def test_reading_leaves_every_steps_loss_unread_and_keeps_the_rest() -> None:
    lesson = get_lesson(12)
    settings = lesson.settings({"epochs": "2", "hidden": "8", "device": "cpu", "batch_size": "4"})
    session = Session(lesson, settings, data=random_image_data(train=40, test=16))
    list(session.events())
    run = RunStore().find(session.run_id)
    whole, quick = run.metrics(), run.metrics(losses=False)
    assert len(whole.losses) == 20 and quick.losses == [] and quick.problems == []
    assert quick.epochs == whole.epochs and quick.final == whole.final and quick.start == whole.start
    (ghost,) = course_ghosts((12,))
    assert ghost.epochs == (1.0, 2.0) and ghost.accuracy == tuple(e["test_accuracy"] for e in whole.epochs)
    assert ghost.data == DataKey("cifar10", 16, tuple(whole.start["classes"])) and ghost.finished


def test_a_lesson_names_only_a_few_earlier_lessons() -> None:
    lesson = get_lesson(21)
    assert dataclasses.replace(lesson, ghosts=(14, 15, 16, 17, 18, 19, 20)).ghosts == (14, 15, 16, 17, 18, 19, 20)
    for wrong in ((21,), (22,), (14, 14), tuple(range(10, 18)), ("14",)):
        with pytest.raises(ValueError, match="ghosts"):
            dataclasses.replace(lesson, ghosts=wrong)
    for named in LESSONS:  # the course's own: earlier image lessons, whose runs have test accuracies
        assert all(get_lesson(n).is_image for n in named.ghosts), named.number

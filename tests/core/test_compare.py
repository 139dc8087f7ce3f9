"""Runs side by side: exactly the settings that differ, and each run's results, best beside last."""

from __future__ import annotations

import json

import pytest
import torch

from babytui.cli import main
from babytui.core.errors import RunError
from babytui.core.lessons import get_lesson
from babytui.core.runs import RunStore, compare_runs
from babytui.core.session import Session
from image_data import random_image_data

torch.set_num_threads(1)


def saved_run(number: int, **values) -> str:
    """A finished run of a lesson on tiny random images; its id."""
    lesson = get_lesson(number)
    base = {"epochs": "2", "hidden": "8", "device": "cpu", "batch_size": "4"}
    if "validation_size" in lesson.fields:
        base["validation_size"] = "8"
    session = Session(lesson, lesson.settings({**base, **values}), data=random_image_data(train=40, test=16))
    list(session.events())
    return session.run_id


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    """Three runs of lesson 16 that differ in the optimizer, its lr and momentum, and one of lesson 14."""
    home = tmp_path_factory.mktemp("compare-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BABYTUI_HOME", str(home))
        ids = [
            saved_run(16),
            saved_run(16, momentum="0"),
            saved_run(16, optimizer="adam", lr="0.001", seed="3"),
            saved_run(14),
        ]
    return home, ids


def test_the_table_lists_exactly_the_settings_that_differ(three_runs, monkeypatch) -> None:
    home, (a, b, c, d) = three_runs
    monkeypatch.setenv("BABYTUI_HOME", str(home))
    comparison = compare_runs([a, b, c])
    assert comparison.differing == {
        "lr": ["0.01", "0.01", "0.001"],
        "seed": ["0", "0", "3"],
        "optimizer": ["sgd", "sgd", "adam"],
        "momentum": ["0.9", "0", "0.9"],
    }
    two = compare_runs([a, b])
    assert two.differing == {"momentum": ["0.9", "0"]}
    # across lessons: a setting lesson 14 lacks is its default there (plain SGD, batch 4, no validation)
    across = compare_runs([a, d])
    assert across.differing["lesson"] == ["16", "14"]
    assert across.differing["momentum"] == ["0.9", "0"] and across.differing["validation_size"] == ["8", "0"]
    assert "device" not in across.differing and "data_root" not in across.differing


def test_results_show_the_best_beside_the_last(three_runs, monkeypatch) -> None:
    home, (a, *_rest) = three_runs
    monkeypatch.setenv("BABYTUI_HOME", str(home))
    run = RunStore().find(a)
    epochs = run.metrics().epochs
    (compared,) = [r for r in compare_runs([a, _rest[0]]).runs if r.id == a]
    train_loss = compared.results["train_loss"]
    assert train_loss.last == epochs[-1]["train_loss"]
    assert train_loss.best == min(e["train_loss"] for e in epochs)
    assert train_loss.best_epoch == min(epochs, key=lambda e: e["train_loss"])["epoch"]
    val = compared.results["val_accuracy"]
    assert val.best == max(e["val_accuracy"] for e in epochs)
    assert compared.restored_epoch == run.metrics().best["epoch"]  # early stopping's restored epoch
    assert compared.results["test_accuracy"].last == run.summary().test_accuracy  # the run's result


def test_runs_compare_headless_text_and_json(three_runs, monkeypatch, capsys) -> None:
    home, (a, b, c, _) = three_runs
    monkeypatch.setenv("BABYTUI_HOME", str(home))
    assert main(["runs", "--compare", a, b, c[:-2]]) == 0  # a unique start of an id will do
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert a in lines[0] and b in lines[0] and c in lines[0]
    labels = [line.split("  ")[0] for line in lines[1:]]
    assert {"optimizer", "momentum", "learning rate", "seed"} <= set(labels)
    assert "batch size" not in labels  # the same in all three
    assert "validation accuracy" in labels and "train loss" in labels and "status" in labels
    assert main(["runs", "--compare", a, b, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["runs"] == [a, b] and result["differing"] == {"momentum": ["0.9", "0"]}
    assert set(result["results"][0]["test_accuracy"]) == {"last", "best", "best_epoch"}


@pytest.mark.parametrize(
    ("args", "message", "status"),
    [
        (["runs", "--compare", "nope", "nada"], "there is no run", 1),
        (["runs", "--compare", "x"], "needs two runs or more", 2),
        (["runs", "--json"], "--json goes with --compare", 2),
    ],
)
def test_bad_comparisons_are_one_line(args, message, status, capsys) -> None:
    assert main(args) == status
    assert message in capsys.readouterr().err


def test_the_same_run_twice_is_refused(three_runs, monkeypatch) -> None:
    home, (a, *_) = three_runs
    monkeypatch.setenv("BABYTUI_HOME", str(home))
    with pytest.raises(RunError, match="named twice"):
        compare_runs([a, a])

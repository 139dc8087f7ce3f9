"""The lr: changed while a run goes on (recorded, and made again by a resume), and the LR range test."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from babytui.cli import main
from babytui.core import train as train_module
from babytui.core.events import LrChanged, Note, RangeTestDone, RangeTestLogged, StepLogged
from babytui.core.lessons import get_lesson
from babytui.core.lr_range import SMOOTHING, centred, range_lrs, suggest
from babytui.core.runs import RunStore
from babytui.core.session import Session
from babytui.core.train import Control
from image_data import random_image_data

torch.set_num_threads(1)


def data():
    """40 training images, 16 test images."""
    return random_image_data(train=40, test=16)


def steered(session: Session, change_at: int, lr: float, stop_at: int | None = None, crash_at: int | None = None):
    """Consume a session, asking for `lr` once `change_at` updates are done; stop (or crash) later."""
    for event in session.events():
        if isinstance(event, StepLogged):
            if event.step == change_at:
                session.control.set_lr(lr)
            if event.step == stop_at:
                session.control.stop()
            if event.step == crash_at:
                return  # the generator is closed here, as if the process died: no final checkpoint
        yield event


def final_weights(store: RunStore, run_id: str) -> dict:
    return store.find(run_id).checkpoint()["model"]


CASES = [(14, {}), (17, {"schedule": "onecycle", "validation_size": "8", "batch_size": "4", "lr": "0.05"})]


@pytest.mark.parametrize(("number", "values"), CASES, ids=["constant-lr", "onecycle"])
def test_a_mid_run_lr_change_is_recorded_and_a_resume_makes_it_bit_for_bit(number, values, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(train_module, "LOG_INTERVAL", 0.0)  # a StepLogged after every batch
    lesson = get_lesson(number)
    s = lesson.settings({"epochs": "3", "hidden": "8", "device": "cpu", **values})
    store = RunStore(tmp_path)
    per_epoch = 10 if number == 14 else 8

    straight = Session(lesson, s, control=Control(), data=data(), store=store)
    events = list(steered(straight, change_at=per_epoch + 2, lr=0.2))
    (change,) = [e for e in events if isinstance(e, LrChanged)]
    assert (change.step, change.lr, change.previous) == (per_epoch + 2, 0.2, s.lr)
    assert any(isinstance(e, Note) and e.heading == "lr changed" for e in events)
    after = [e for e in events if isinstance(e, StepLogged) and e.step > per_epoch + 2]
    if number == 14:
        assert all(e.lr == 0.2 for e in after)  # from the next batch on
    recorded = store.find(straight.run_id).metrics().lr_changes
    assert [(c["step"], c["lr"]) for c in recorded] == [(per_epoch + 2, 0.2)]

    # stopped after the change: its checkpoint holds the new lr (and the schedule scaled with it)
    stopped = Session(lesson, s, control=Control(), data=data(), store=store)
    list(steered(stopped, change_at=per_epoch + 2, lr=0.2, stop_at=per_epoch + 5))
    # killed after the change but before any checkpoint holds it: the resume replays it from the metrics
    crashed = Session(lesson, s, control=Control(), data=data(), store=store)
    list(steered(crashed, change_at=per_epoch + 2, lr=0.2, crash_at=per_epoch + 5))
    assert store.find(crashed.run_id).checkpoint()["step"] == per_epoch  # its last checkpoint: epoch 1's end

    expected = final_weights(store, straight.run_id)
    for run_id in (stopped.run_id, crashed.run_id):
        resumed = Session.resuming(run_id, control=Control(), data=data(), store=store)
        finished = list(resumed.events())[-1]
        assert finished.final_loss == straight.result.final_loss
        for name, value in final_weights(store, run_id).items():
            assert torch.equal(value, expected[name]), name
        changes = store.find(run_id).metrics().lr_changes
        assert [(c["step"], c["lr"]) for c in changes] == [(per_epoch + 2, 0.2)]  # once, not twice


def test_a_second_change_is_relative_to_the_first_and_nothing_changes_without_one(monkeypatch) -> None:
    monkeypatch.setattr(train_module, "LOG_INTERVAL", 0.0)
    lesson = get_lesson(12)
    s = lesson.settings({"epochs": "1", "hidden": "8", "device": "cpu"})
    control = Control()
    lrs = {}
    for event in train_module.train(lesson, s, control=control, data=data()):
        if isinstance(event, StepLogged):
            lrs[event.step] = event.lr
            if event.step in (3, 6):
                control.set_lr(factor=0.5)  # the - key: half the lr in force
    assert lrs[1] == lrs[3] == 0.1 and lrs[4] == lrs[6] == 0.05 and lrs[7] == lrs[10] == 0.025


def test_factors_asked_for_between_two_batches_add_up() -> None:
    control = Control()
    control.set_lr(factor=0.5)
    control.set_lr(factor=0.5)
    assert control.lr_change(0, 0.1) == 0.025 and control.lr_change(1, 0.025) is None
    control.set_lr(0.2)
    control.set_lr(factor=2.0)
    assert control.lr_change(2, 0.025) == 0.4


def range_settings(**values):
    lesson = get_lesson(17)
    return lesson, lesson.settings(
        {"device": "cpu", "batch_size": "4", "validation_size": "8", "output_activation": "no", "hidden": "16", **values}
    )


def test_the_range_test_grows_the_lr_geometrically_and_stops_when_the_loss_explodes() -> None:
    lesson, s = range_settings(range_steps="400", range_min_lr="1e-3", range_max_lr="1e3")
    events = list(Session(lesson, s, data=data(), range_test=True).events())
    (done,) = [e for e in events if isinstance(e, RangeTestDone)]
    assert done.reason == "exploded" and 10 < len(done.lrs) < 400
    growth = (1e3 / 1e-3) ** (1 / 399)
    assert done.lrs[0] == 1e-3
    assert all(b / a == pytest.approx(growth, rel=1e-9) for a, b in zip(done.lrs, done.lrs[1:]))
    average, ema = 0.0, []  # the moving average the test stops by
    for i, value in enumerate(done.losses):
        average = SMOOTHING * average + (1 - SMOOTHING) * value
        ema.append(average / (1 - SMOOTHING ** (i + 1)))
    assert not math.isfinite(ema[-1]) or ema[-1] > 4 * min(ema[:-1])  # it stopped at the explosion...
    assert all(v <= 4 * min(ema[: i + 1]) for i, v in enumerate(ema[:-1]))  # ...and not before
    logged = [lr for e in events if isinstance(e, RangeTestLogged) for lr in e.lrs]
    assert logged == list(done.lrs)  # every batch reported once
    assert RunStore().runs() == []  # a range test is not a run: nothing saved


def test_the_range_test_can_be_stopped() -> None:
    lesson, s = range_settings(range_steps="100")
    control = Control()
    control.step(5)
    session = Session(lesson, s, control=control, data=data(), range_test=True)
    for event in session.events():
        if isinstance(event, RangeTestLogged) and event.step >= 5:
            control.stop()
        if isinstance(event, RangeTestDone):
            assert event.reason == "stopped" and len(event.lrs) == 5


def test_the_suggestion_is_where_the_smoothed_loss_falls_fastest() -> None:
    lrs = range_lrs(1e-5, 1.0, 101)  # log10 lr from -5 to 0
    # a loss that falls fastest at lr 1e-2, bottoms out at 1e-1 and then climbs
    curve = [2.0 - math.tanh(2 * (math.log10(lr) + 2)) + (8 * (math.log10(lr) + 1) ** 2 if lr > 0.1 else 0) for lr in lrs]
    suggestion, lowest = suggest(lrs, curve)
    assert suggestion == pytest.approx(1e-2, rel=0.15)
    assert 0.05 < lowest < 0.2
    assert suggest(lrs, [2.0] * 101) == (None, lrs[0])  # flat: nothing to suggest
    # a centred average has no lag: the noisy curve's suggestion stays where the fall is steepest
    noisy = [v + 0.05 * math.sin(i * 2.3) for i, v in enumerate(curve)]
    assert suggest(lrs, centred(noisy))[0] == pytest.approx(1e-2, rel=0.3)
    assert centred([1.0, 2.0, 3.0, 10.0], half=1) == [1.5, 2.0, 5.0, 6.5]


def test_range_test_headless_json(tiny_cifar: Path, capsys) -> None:
    args = ["range-test", "--lesson", "17", "--data-root", str(tiny_cifar), "--trust-data", "--device", "cpu",
            "--batch-size", "4", "--validation-size", "8", "--range-steps", "30", "--json"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["lesson"] == 17 and len(result["lrs"]) == len(result["losses"]) == result["steps"] <= 30
    assert {"suggestion", "lowest", "reason", "smoothed"} <= set(result)
    assert main(args[:-1]) == 0
    drawn = capsys.readouterr().out
    assert "lr (log scale)" in drawn and "1e-5" in drawn and "batches in" in drawn


def test_range_test_of_a_small_lesson_is_refused(capsys) -> None:
    assert main(["range-test", "--lesson", "8"]) == 2
    assert "does not train on images" in capsys.readouterr().err

"""The image lessons' loop: events, stop, pause, one step at a time, and its errors."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import torch

from babytui.core import train as train_module
from babytui.core.errors import DataError, DeviceError, DivergedError
from babytui.core.events import Checkpoint, EpochEnded, Finished, Predictions, RunStarted, StepLogged, WeightsSnapshot
from babytui.core.lessons import get_lesson
from babytui.core.train import Control, train
from image_data import random_image_data


def image_settings(number: int, root: Path, **values):
    lesson = get_lesson(number)
    values = {"data_root": str(root), **values}
    if "trust_data" in lesson.fields:
        values["trust_data"] = "yes"  # the tiny copy has its own checksums
    return lesson, lesson.settings(values)


def test_an_image_lesson_yields_the_whole_story(tiny_cifar: Path) -> None:
    lesson, settings = image_settings(12, tiny_cifar, epochs="2", hidden="8")
    events = list(train(lesson, settings))
    started = events[0]
    assert isinstance(started, RunStarted)
    assert (started.steps_per_epoch, started.total_steps, started.train_size, started.test_size) == (10, 20, 40, 16)
    logged = [v for e in events if isinstance(e, StepLogged) for v in e.losses]
    assert len(logged) == 20  # every step's loss arrives, none twice
    epochs = [e for e in events if isinstance(e, EpochEnded)]
    assert [e.epoch for e in epochs] == [1, 2]
    assert sum(map(sum, epochs[-1].confusion)) == 16
    assert 0 <= epochs[-1].test_accuracy <= 100
    preds = [e for e in events if isinstance(e, Predictions)]
    assert preds[-1].probabilities.shape == (16, 10)
    assert torch.allclose(preds[-1].probabilities.sum(1), torch.ones(16))
    snaps = [e for e in events if isinstance(e, WeightsSnapshot)]
    assert snaps[0].tag == "start" and set(snaps[0].params) >= {"conv1.weight", "fc2.bias"}
    assert all(t.device.type == "cpu" for s in snaps for t in s.params.values())
    done = events[-1]
    assert isinstance(done, Finished)
    assert (done.steps, done.epochs_done, done.stopped) == (20, 2, False)
    assert done.test_accuracy == epochs[-1].test_accuracy
    assert done.final_loss == pytest.approx(epochs[-1].train_loss)


def test_same_seed_same_run(tiny_cifar: Path) -> None:
    lesson, settings = image_settings(10, tiny_cifar, epochs="1", hidden="4")
    a = list(train(lesson, settings))[-1]
    b = list(train(lesson, settings))[-1]
    assert a.final_loss == b.final_loss and a.test_loss == b.test_loss


def test_stop_ends_after_the_current_batch() -> None:
    lesson = get_lesson(14)
    settings = lesson.settings({"epochs": "5", "device": "cpu"})
    stop = threading.Event()
    steps = 0
    for event in train(lesson, settings, stop=stop, data=random_image_data()):
        if isinstance(event, StepLogged):
            steps = event.step
            stop.set()
    assert isinstance(event, Finished) and event.stopped
    assert event.steps == steps  # not one batch more after the stop was seen


def test_pause_then_single_steps_then_resume() -> None:
    lesson = get_lesson(13)
    settings = lesson.settings({"epochs": "1", "device": "cpu"})
    control = Control()
    control.pause()
    seen: list[int] = []
    done: list[Finished] = []

    def consume() -> None:
        for event in train(lesson, settings, control=control, data=random_image_data()):
            if isinstance(event, StepLogged):
                seen.append(event.step)
            elif isinstance(event, Finished):
                done.append(event)

    worker = threading.Thread(target=consume)
    worker.start()
    worker.join(0.5)
    assert seen == []  # paused before the first batch
    control.step()
    control.step()
    deadline = threading.Event()
    for _ in range(50):
        if seen and seen[-1] == 2:
            break
        deadline.wait(0.05)
    assert seen == [1, 2]  # exactly two batches, each reported
    control.resume()
    worker.join(10)
    assert not worker.is_alive()
    assert done and done[0].steps == 8 and not done[0].stopped


def test_a_diverging_loss_names_the_step_and_suggests_a_smaller_lr(monkeypatch) -> None:
    lesson = get_lesson(10)
    settings = lesson.settings({"epochs": "1", "lr": "0.5", "device": "cpu", "output_activation": "no"})
    real_loss = torch.nn.CrossEntropyLoss.forward
    calls = {"n": 0}

    def poisoned(self, input, target):  # the third step's loss is infinite
        calls["n"] += 1
        loss = real_loss(self, input, target)
        return loss * float("inf") if calls["n"] == 3 else loss

    monkeypatch.setattr(torch.nn.CrossEntropyLoss, "forward", poisoned)
    with pytest.raises(DivergedError, match="at step 3.*smaller learning rate than 0.5"):
        list(train(lesson, settings, data=random_image_data()))


def test_cuda_where_there_is_none(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    lesson = get_lesson(14)
    with pytest.raises(DeviceError, match="no CUDA GPU"):
        list(train(lesson, lesson.settings({"device": "cuda"}), data=random_image_data()))


def test_missing_dataset(tmp_path: Path) -> None:
    lesson, settings = image_settings(10, tmp_path)
    with pytest.raises(DataError):
        list(train(lesson, settings))


def test_corrupt_batch_file(tiny_cifar: Path) -> None:
    (tiny_cifar / "cifar-10-batches-py" / "data_batch_3").write_bytes(b"not a pickle")
    lesson, settings = image_settings(10, tiny_cifar)
    with pytest.raises(DataError, match="data_batch_3"):
        list(train(lesson, settings))


def test_log_interval_does_not_change_the_numbers(monkeypatch) -> None:
    lesson = get_lesson(12)
    settings = lesson.settings({"epochs": "1", "hidden": "8", "device": "cpu"})
    a = list(train(lesson, settings, data=random_image_data()))
    monkeypatch.setattr(train_module, "LOG_INTERVAL", 0.0)  # a StepLogged after every batch
    b = list(train(lesson, settings, data=random_image_data()))
    assert sum(isinstance(e, StepLogged) for e in b) == 8
    assert a[-1].final_loss == b[-1].final_loss


@pytest.mark.parametrize("quick", [False, True])
def test_a_quick_stop_saves_the_checkpoint_without_scoring(monkeypatch, quick: bool) -> None:
    # Quitting the app stops quickly: scoring 10,000 test images takes seconds on a CPU.
    monkeypatch.setattr(train_module, "LOG_INTERVAL", 0.0)
    lesson = get_lesson(14)
    settings = lesson.settings({"epochs": "5", "device": "cpu"})
    control = Control()
    events = []
    for event in train(lesson, settings, control=control, data=random_image_data(), checkpoints=True):
        events.append(event)
        if isinstance(event, StepLogged) and event.step == 3:
            control.stop(quick=quick)
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.stopped and finished.steps == 3
    checkpoints = [e for e in events if isinstance(e, Checkpoint)]
    assert [c.reason for c in checkpoints] == ["stop"] and checkpoints[0].state["step"] == 3
    scored = [e for e in events if isinstance(e, (EpochEnded, Predictions)) and e.step > 0]  # (not the start's guesses)
    assert (scored == []) == quick
    assert (finished.test_accuracy is None) == quick


@pytest.mark.parametrize("number", [8, 14])
def test_a_pause_is_not_training_time(number: int) -> None:
    lesson = get_lesson(number)
    settings = lesson.settings({"epochs": "2"} if number == 8 else {"epochs": "1", "device": "cpu"})
    control = Control()
    control.step(1)  # one batch, then held until resumed
    started = time.perf_counter()
    for event in train(lesson, settings, control=control, data=random_image_data() if number == 14 else None):
        if isinstance(event, StepLogged) and event.step == 1:
            threading.Timer(0.5, control.resume).start()  # the loop waits for this, half a second
    wall = time.perf_counter() - started
    assert isinstance(event, Finished) and not event.stopped
    assert wall - event.seconds >= 0.45

"""A validation split chooses the best epoch: kept, restored at the end, and the run stops on patience."""

from __future__ import annotations

import pytest
import torch

from babytui.core import train as train_module
from babytui.core.errors import SettingsError
from babytui.core.events import BestRestored, Checkpoint, EpochEnded, Finished, RunStarted
from babytui.core.lessons import get_lesson
from babytui.core.train import Control, train
from babytui.core.validation import carve_validation
from image_data import random_image_data

torch.set_num_threads(1)
LESSON = get_lesson(15)


def data():
    """40 training images (8 held out: 8 updates an epoch at batch 4), 16 test images."""
    return random_image_data(train=40, test=16)


def settings(**values):
    return LESSON.settings({"hidden": "8", "device": "cpu", "validation_size": "8", **values})


@pytest.fixture
def scripted_validation(monkeypatch):
    """Validation accuracy follows a script, one value each time it is scored (call the fixture
    with a list to start a new script); the test split is scored for real."""
    real = train_module.evaluate
    script: list[float] = []

    def evaluate(model, images, labels, num_classes, **view):  # (view: the test-time flip, the memory order)
        loss, accuracy, confusion = real(model, images, labels, num_classes, **view)
        return (loss, script.pop(0), confusion) if len(images) == 8 else (loss, accuracy, confusion)

    def start(values: list[float]) -> None:
        script[:] = values

    monkeypatch.setattr(train_module, "evaluate", evaluate)
    start([20.0, 50.0, 30.0, 40.0, 45.0, 10.0, 10.0, 10.0])
    return start


def run(s, control=None, resume=None, data_=None):
    events = list(train(LESSON, s, control=control, data=data_ or data(), checkpoints=True, resume=resume))
    return events, events[-1]


def test_the_split_is_carved_once_the_same_for_every_seed() -> None:
    images = data()
    a, b = carve_validation(images, 8), carve_validation(images, 8)
    assert torch.equal(a.train, b.train) and len(a.train) == 32 and len(a.val_images) == 8
    trained = set(a.train.tolist())
    for image in a.val_images:  # each held-out image is a training image the run never trains on
        (index,) = [i for i in range(40) if torch.equal(images.train_images[i], image)]
        assert index not in trained
    started = run(settings(epochs="1", seed="7"))[0][0]
    assert isinstance(started, RunStarted) and (started.train_size, started.validation_size) == (32, 8)


def test_too_large_a_validation_split_is_refused_with_the_sizes() -> None:
    with pytest.raises(SettingsError, match="40 images") as info:
        list(train(LESSON, settings(validation_size="40"), data=data()))
    assert info.value.field == "validation_size"


def test_the_best_epoch_is_restored_and_patience_stops_the_run(scripted_validation) -> None:
    events, finished = run(settings(epochs="8", patience="3"))
    epochs = [e for e in events if isinstance(e, EpochEnded)]
    assert [e.val_accuracy for e in epochs] == [20.0, 50.0, 30.0, 40.0, 45.0]  # three without a better one: stop
    assert isinstance(finished, Finished) and finished.early_stopped and not finished.stopped
    assert (finished.epochs_done, finished.best_epoch, finished.steps) == (5, 2, 40)
    (restored,) = [e for e in events if isinstance(e, BestRestored)]
    assert (restored.epoch, restored.val_accuracy) == (2, 50.0)
    # the weights put back are epoch 2's: scored on the test split they give epoch 2's numbers
    assert restored.test_accuracy == epochs[1].test_accuracy and restored.test_loss == pytest.approx(epochs[1].test_loss)
    assert restored.last_test_accuracy == epochs[-1].test_accuracy
    assert finished.test_accuracy == restored.test_accuracy
    saved = {c.reason: c for c in events if isinstance(c, Checkpoint)}
    epoch_2 = [c for c in events if isinstance(c, Checkpoint) and c.step == 16][0]
    for name, value in saved["best"].state["model"].items():  # the run's last checkpoint holds epoch 2's weights
        assert torch.equal(value, epoch_2.state["model"][name])


def test_without_restore_best_the_last_weights_are_the_result(scripted_validation) -> None:
    events, finished = run(settings(epochs="3", restore_best="no"))
    assert finished.best_epoch is None and not [e for e in events if isinstance(e, BestRestored)]
    assert finished.test_accuracy == [e for e in events if isinstance(e, EpochEnded)][-1].test_accuracy


def test_the_best_epoch_survives_a_stop_and_a_resume(scripted_validation, monkeypatch) -> None:
    s = settings(epochs="4")
    scripted_validation([20.0, 50.0, 30.0, 40.0])
    _, straight = run(s)
    monkeypatch.setattr(train_module, "LOG_INTERVAL", 0.0)
    scripted_validation([20.0, 50.0, 99.0])  # the part of epoch 3 scored at the stop does not compete
    control = Control()
    events = []
    for event in train(LESSON, s, control=control, data=data(), checkpoints=True):
        events.append(event)
        if type(event).__name__ == "StepLogged" and event.step == 20:  # in epoch 3, after the best (2)
            control.stop()
    state = [e for e in events if isinstance(e, Checkpoint)][-1].state
    assert state["best"]["epoch"] == 2 and state["step"] == 20
    scripted_validation([30.0, 40.0])
    _, resumed = run(s, resume=state)
    assert resumed.best_epoch == straight.best_epoch == 2
    assert resumed.test_accuracy == straight.test_accuracy and resumed.final_loss == straight.final_loss


def test_the_gap_line_says_what_a_gap_below_zero_means_instead_of_narrower_or_wider() -> None:
    from babytui.core.validation import gap_line

    assert "wider than the epoch before" in gap_line(0.5, 0.8, 0.1)
    assert "narrower than the epoch before" in gap_line(0.5, 0.6, 0.3)
    below = gap_line(0.9, 0.7, -0.1)  # lesson 20: validation loss under the training loss, and further under
    assert "below 0" in below and "narrower" not in below and "wider" not in below

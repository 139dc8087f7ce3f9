"""Lesson 20: dropout only while training, dropout 0 is lesson 14's network, and the augmented images the grid shows."""

from __future__ import annotations

import torch

from babytui.core.augment import augmentation_generator, crop_flip
from babytui.core.events import Finished, TrainingImagesFed
from babytui.core.lessons import get_lesson
from babytui.core.train import FED_SAMPLES, train
from image_data import random_image_data

LESSON = get_lesson(20)
TINY = {"epochs": "2", "hidden": "8", "batch_size": "8", "validation_size": "0", "device": "cpu"}


def run(values: dict, data=None) -> list:
    """Every event of a lesson 20 run on tiny random images."""
    data = data if data is not None else random_image_data(train=40, test=16)
    return list(train(LESSON, LESSON.settings({**TINY, **values}), data=data))


def test_dropout_0_is_lesson_14s_network_weight_for_weight_and_output_for_output() -> None:
    s = LESSON.settings({"dropout": "0"})
    torch.manual_seed(3)
    ours = LESSON.build_model(s)
    torch.manual_seed(3)
    plain = get_lesson(14).build_model(get_lesson(14).settings({"output_activation": "no"}))
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), plain.state_dict().values()))
    x = torch.randn(4, 3, 32, 32)
    torch.manual_seed(5)
    out = ours(x)
    after_ours = torch.rand(1)
    torch.manual_seed(5)
    assert torch.equal(out, plain(x))
    assert torch.equal(after_ours, torch.rand(1))  # dropout 0 draws nothing: the run is exactly lesson 14's


def test_dropout_zeroes_units_while_training_and_none_in_eval_mode() -> None:
    torch.manual_seed(0)
    model = LESSON.build_model(LESSON.settings({"dropout": "0.5"}))
    x = torch.randn(16, 3, 32, 32)
    model.train()
    assert not torch.equal(model(x), model(x))  # a new random share is dropped each time
    model.eval()
    first = model(x)
    assert torch.equal(first, model(x))
    model.dropout.p = 0.0
    assert torch.allclose(first, model(x))  # eval mode: as if there were no dropout at all


def test_dropout_0_and_no_augmentation_train_exactly_like_lesson_16() -> None:
    values = {"dropout": "0", "weight_decay": "0", "crop_pad": "0", "flip": "no", "epochs": "1", "label_smoothing": "0",
              "schedule": "constant", "lr": "0.01"}
    ours = run(values)[-1]
    data = random_image_data(train=40, test=16)
    l16 = get_lesson(16)
    theirs = list(train(l16, l16.settings({k: v for k, v in {**TINY, **values}.items() if k in l16.fields}), data=data))[-1]
    assert isinstance(ours, Finished) and ours.final_loss == theirs.final_loss


def test_each_epoch_sends_its_first_batch_as_augmented_with_the_labels() -> None:
    data = random_image_data(train=80, test=16)
    values = {"crop_pad": "3", "flip": "yes", "batch_size": "40", "epochs": "3"}
    events = run(values, data)
    fed = [e for e in events if isinstance(e, TrainingImagesFed)]
    assert [e.epoch for e in fed] == [1, 2, 3]
    assert [e.step for e in fed] == [0, 2, 4]
    for e in fed:
        assert e.images.dtype == torch.uint8 and e.images.device.type == "cpu"
        assert e.images.shape == (min(FED_SAMPLES, 40), 3, 32, 32) and e.labels.shape == (len(e.images),)
        assert e.augmentation == "crop (padding 3), flip"
        assert e.classes == data.classes
    # the first epoch's first batch, shuffled as the loop shuffles it, then cropped and flipped at step 0
    order = torch.randperm(80, generator=torch.Generator().manual_seed(0))[:40]
    expected = crop_flip(data.train_images[order], 3, True, augmentation_generator(0, 0, torch.device("cpu")))
    assert torch.equal(fed[0].images, expected[:FED_SAMPLES])
    assert torch.equal(fed[0].labels, data.train_labels[order][:FED_SAMPLES])
    assert not torch.equal(fed[0].images, data.train_images[order][:FED_SAMPLES])  # they really were changed


def test_without_augmentation_nothing_is_sent() -> None:
    events = run({"crop_pad": "0", "flip": "no"})
    assert not any(isinstance(e, TrainingImagesFed) for e in events)


def test_augmentation_and_regularization_change_the_run_and_a_seed_repeats_it() -> None:
    plain = run({"dropout": "0", "weight_decay": "0", "crop_pad": "0", "flip": "no"})[-1].final_loss
    regularized = run({"dropout": "0.3", "weight_decay": "0.01", "crop_pad": "2", "flip": "yes", "label_smoothing": "0.1"})
    again = run({"dropout": "0.3", "weight_decay": "0.01", "crop_pad": "2", "flip": "yes", "label_smoothing": "0.1"})
    assert regularized[-1].final_loss != plain
    assert regularized[-1].final_loss == again[-1].final_loss


def test_the_lesson_offers_its_settings_with_all_three_regularizers_on() -> None:
    for name in ("dropout", "weight_decay", "crop_pad", "flip", "label_smoothing", "momentum", "validation_size", "patience"):
        assert name in LESSON.fields
    s = LESSON.settings()
    assert s.dropout > 0 and s.weight_decay > 0 and s.crop_pad > 0 and s.flip and s.validation_size > 0

"""Lesson 21: the wide batch-normalized network, the test-time flip and channels-last memory order."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch.nn import functional as F

from babytui.cli import main
from babytui.core.datasets import normalize
from babytui.core.export import render_script
from babytui.core.lessons import get_lesson
from babytui.core.scoring import evaluate, predictions, scores
from babytui.core.train import train

LESSON = get_lesson(21)


def tiny_values(tiny_cifar: Path, **values: str) -> dict:
    """A run of lesson 21 that takes a moment: a narrow network, one epoch of small batches."""
    return {"width": "4", "epochs": "1", "batch_size": "4", "data_root": str(tiny_cifar), "device": "cpu",
            "trust_data": "yes", **values}


def test_the_network_has_a_few_hundred_thousand_weights_and_width_widens_it() -> None:
    def count(width: int) -> int:
        return sum(p.numel() for p in LESSON.build_model(LESSON.defaults.replace(width=width)).parameters())

    assert 200_000 <= count(LESSON.defaults.width) <= 900_000
    assert count(16) < count(32) < count(LESSON.defaults.width)
    out = LESSON.build_model(LESSON.defaults.replace(width=8))(torch.zeros(2, 3, 32, 32))
    assert out.shape == (2, 10)


def test_the_test_time_flip_scores_the_mean_of_each_image_and_its_mirror() -> None:
    torch.manual_seed(0)
    model = LESSON.build_model(LESSON.defaults.replace(width=4), 3)
    model.train()
    model(torch.randn(16, 3, 32, 32))  # running statistics away from their start
    with torch.no_grad():
        model.head.weight.mul_(100)  # scores far from the small ones a network starts with
    images = torch.randint(0, 256, (6, 3, 32, 32), dtype=torch.uint8)
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    loss, accuracy, confusion = evaluate(model, images, labels, 3, tta=True)
    model.eval()
    with torch.no_grad():
        x = normalize(images)
        mean = (model(x) + model(x.flip(-1))) / 2
        assert torch.allclose(scores(model, x, tta=True), mean, atol=1e-6)
    assert loss == pytest.approx(F.cross_entropy(mean, labels).item(), rel=1e-5)
    assert accuracy == pytest.approx(100 * (mean.argmax(1) == labels).float().mean().item())
    assert confusion.sum() == 6 and model.training is False  # it was in eval mode when called here
    with torch.no_grad():
        plain = model(x)
    assert not torch.allclose(mean, plain, atol=1e-3)  # the mirror images do change the scores
    plain_loss, _, _ = evaluate(model, images, labels, 3)
    assert plain_loss == pytest.approx(F.cross_entropy(plain, labels).item(), rel=1e-5)
    cl_loss, _, _ = evaluate(model, images, labels, 3, tta=True, channels_last=True)
    assert cl_loss == pytest.approx(loss, rel=1e-4)


def test_the_prediction_grid_shows_the_guesses_the_accuracy_counted() -> None:
    # with the test-time flip on, the grid's probabilities come from the same averaged scores
    from image_data import random_image_data

    torch.manual_seed(0)
    model = LESSON.build_model(LESSON.defaults.replace(width=4), 10)
    with torch.no_grad():
        model.head.weight.mul_(100)
    data = random_image_data(8, 6)
    shown = predictions(model, data, 0, tta=True)
    model.eval()
    with torch.no_grad():
        x = normalize(data.test_images[:256])
        mean = (model(x) + model(x.flip(-1))) / 2
    assert torch.allclose(shown.probabilities, F.softmax(mean, dim=1), atol=1e-6)
    assert not torch.allclose(predictions(model, data, 0).probabilities, shown.probabilities, atol=1e-4)


def test_channels_last_trains_to_the_same_loss(tiny_cifar: Path) -> None:
    ends = [list(train(LESSON, LESSON.settings(tiny_values(tiny_cifar, channels_last=on))))[-1] for on in ("yes", "no")]
    assert ends[0].final_loss == pytest.approx(ends[1].final_loss, rel=1e-4)
    assert ends[0].test_loss == pytest.approx(ends[1].test_loss, rel=1e-4)


def test_the_test_time_flip_changes_the_scoring_not_the_training(tiny_cifar: Path) -> None:
    ends = [list(train(LESSON, LESSON.settings(tiny_values(tiny_cifar, tta=on))))[-1] for on in ("yes", "no")]
    assert ends[0].final_loss == pytest.approx(ends[1].final_loss, rel=1e-6)
    assert ends[0].test_loss != ends[1].test_loss  # the same weights, scored on the mirror images too


def test_the_exported_script_follows_the_two_switches() -> None:
    on = render_script(LESSON, LESSON.defaults)
    off = render_script(LESSON, LESSON.defaults.replace(channels_last=False, tta=False))
    assert on.count("memory_format=torch.channels_last") == 3 and "memory_format" not in off
    assert "model(inputs.flip(-1))" in on and "flip(-1)" not in off.split("def evaluate")[1].split("\n\n")[0]


def test_cli_prints_lesson_21s_card(capsys) -> None:
    assert main(["lessons", "21"]) == 0
    out = capsys.readouterr().out
    assert "A strong network in minutes" in out and "Conv2d(48, 96, 3, padding=1)" and "647,376" in out
    assert main(["lessons", "21", "--width", "16"]) == 0
    assert "72,944" in capsys.readouterr().out

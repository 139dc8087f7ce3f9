"""Lesson 18: the init schemes give their documented statistics, and the deep sigmoid network's gradient fades."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from babytui.core.events import HealthChecked
from babytui.core.init import init_weights
from babytui.core.lessons import get_lesson
from babytui.core.lessons.l18_initialization import DeepPlainNet
from babytui.core.train import train
from image_data import random_image_data


def big_layers() -> nn.Sequential:
    """A linear layer of 512,000 weights and a convolution of 73,728: enough for a 3% tolerance that cannot flake."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(1000, 512), nn.Conv2d(64, 128, 3))


FANS = {0: (1000, 512), 1: (64 * 9, 128 * 9)}
"""(fan_in, fan_out) of each layer of `big_layers`."""


def test_zeros_sets_every_weight_and_bias_to_0() -> None:
    model = big_layers()
    init_weights(model, "zeros", activation="sigmoid")
    assert all(torch.count_nonzero(p) == 0 for p in model.parameters())


def test_normal_draws_with_the_chosen_std_and_zero_biases() -> None:
    model = big_layers()
    init_weights(model, "normal", std=0.05, activation="tanh")
    for layer in model:
        assert layer.weight.std().item() == pytest.approx(0.05, rel=0.03)
        assert abs(layer.weight.mean().item()) < 0.002
        assert torch.count_nonzero(layer.bias) == 0


@pytest.mark.parametrize(("activation", "gain"), [("tanh", 5 / 3), ("sigmoid", 1.0), ("relu", math.sqrt(2))])
def test_xavier_keeps_the_variance_with_the_activations_gain(activation: str, gain: float) -> None:
    model = big_layers()
    init_weights(model, "xavier", activation=activation)
    for i, layer in enumerate(model):
        fan_in, fan_out = FANS[i]
        assert layer.weight.std().item() == pytest.approx(gain * math.sqrt(2 / (fan_in + fan_out)), rel=0.03)
        assert torch.count_nonzero(layer.bias) == 0


def test_kaiming_for_relu_has_std_sqrt_2_over_fan_in() -> None:
    model = big_layers()
    init_weights(model, "kaiming", activation="relu")
    for i, layer in enumerate(model):
        fan_in, _ = FANS[i]
        assert layer.weight.std().item() == pytest.approx(math.sqrt(2 / fan_in), rel=0.03)
        assert torch.count_nonzero(layer.bias) == 0


def test_default_leaves_pytorchs_own_weights() -> None:
    torch.manual_seed(3)
    plain = DeepPlainNet(2, 16, "sigmoid", "default", 0.01)
    torch.manual_seed(3)
    reference = [nn.Linear(3072, 16), nn.Linear(16, 16), nn.Linear(16, 10)]
    for ours, theirs in zip([*plain.layers, plain.out], reference):
        assert torch.equal(ours.weight, theirs.weight) and torch.equal(ours.bias, theirs.bias)


def test_zeros_never_break_the_symmetry() -> None:
    # every unit of a layer starts the same and gets the same gradient: after training they are still copies
    torch.manual_seed(0)
    model = DeepPlainNet(3, 8, "sigmoid", "zeros", 0.01)
    g = torch.Generator().manual_seed(0)
    inputs, labels = torch.randn(32, 3, 32, 32, generator=g), torch.randint(0, 10, (32,), generator=g)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(12):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(inputs), labels).backward()
        optimizer.step()
    first = model.layers[0].weight
    assert torch.count_nonzero(first) > 0  # the gradient has reached it: it changed
    assert torch.allclose(first, first[:1].expand_as(first))  # and all 8 units are still the same unit
    assert torch.allclose(model.out.weight, model.out.weight[:, :1].expand_as(model.out.weight))


def first_check(values: dict) -> HealthChecked:
    lesson = get_lesson(18)
    settings = lesson.settings({"device": "cpu", "max_steps": "1", **values})
    return next(e for e in train(lesson, settings, data=random_image_data(train=64)) if isinstance(e, HealthChecked))


def test_the_deep_sigmoid_network_gets_the_vanishing_gradient_sentence() -> None:
    check = first_check({})  # the lesson's defaults: 8 sigmoid layers, PyTorch's init
    by_name = {layer.name: layer for layer in check.layers}
    assert by_name["out"].gradient > 100 * by_name["layers.0"].gradient
    assert check.summary.startswith("layers.0 gets ") and check.summary.endswith("than out: each sigmoid in between shrinks it")
    assert "each of the 8 sigmoids in between passes back at most a quarter of it" in check.findings[0]
    assert not check.healthy


def test_relu_with_kaiming_gets_gradient_to_every_layer() -> None:
    check = first_check({"activation": "relu", "init": "kaiming"})
    by_name = {layer.name: layer for layer in check.layers}
    assert by_name["out"].gradient < 10 * by_name["layers.0"].gradient
    assert not any("less gradient" in finding for finding in check.findings)
    assert "gradient reaches every layer" in check.summary

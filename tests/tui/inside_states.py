"""Fixed states of the inside, health and layers views, made of numbers written out here (no training
run, no float arithmetic of torch's): what the snapshots show."""

from __future__ import annotations

import torch

from babytui.core.events import ActivationHealth, HealthChecked, LayerHealth, RunStarted

CLASSES = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def pattern(shape: tuple[int, ...], seed: int, signed: bool = False) -> torch.Tensor:
    """A tensor of simple fractions k/16 from a formula: the same on every machine."""
    count = 1
    for d in shape:
        count *= d
    values = [((i * 7 + seed * 13 + (i // 5) * 3) % 17) / 16.0 for i in range(count)]
    if signed:
        values = [v - 0.5 for v in values]
    return torch.tensor(values, dtype=torch.float32).reshape(shape)


def injected_look(step: int = 1200, label: int | None = 3):
    """A look of lesson 14's shape at one picture: maps, units, probabilities, saliency, all fixed."""
    from babytui.core.inside import InsideLook, LayerLook

    image = (pattern((3, 32, 32), 1) * 255).round().to(torch.uint8)
    shapes = (("conv1 + relu", "relu(conv1)", "conv", (10, 28, 28)), ("pool", "pool", "pool", (10, 14, 14)),
              ("conv2 + relu", "relu(conv2)", "conv", (20, 10, 10)), ("pool #2", "pool #2", "pool", (20, 5, 5)),
              ("fc1 + relu", "relu(fc1)", "linear", (120,)), ("fc2", "fc2", "linear", (10,)))
    layers = tuple(
        LayerLook(name, stage, kind, pattern(shape, k + step % 3), pattern(shape, k + 5, signed=True) / 100)
        for k, (name, stage, kind, shape) in enumerate(shapes)
    )
    probabilities = torch.tensor([0.02, 0.01, 0.05, 0.41, 0.04, 0.22, 0.09, 0.03, 0.1, 0.03])
    rows = torch.arange(32, dtype=torch.float32).view(32, 1)
    cols = torch.arange(32, dtype=torch.float32).view(1, 32)
    saliency = 1.0 / (1.0 + (rows - 12).abs() + (cols - 20).abs())
    return InsideLook(step, image, label, 3, layers, probabilities, saliency, CLASSES)


def injected_what_ifs():
    """(change, picture, probabilities) of each what-if, fixed."""
    base = torch.full((10,), 0.05)
    out = []
    for k, change in enumerate(("as it is", "flipped", "shifted", "noisier", "darker")):
        p = base.clone()
        p[(3 + (k == 3) * 2 + (k == 4) * 3) % 10] = 0.55
        out.append((change, None, p))
    return out


def injected_network():
    """Lesson 8's network on its four samples after update 3, with numbers written out."""
    from babytui.core.inside import NetworkLook

    inputs = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    units = (
        ("linear1", "Linear(4, 2)", pattern((4, 2), 1, signed=True), pattern((4, 2), 2, signed=True) / 100),
        ("act1", "Sigmoid()", pattern((4, 2), 3), pattern((4, 2), 4, signed=True) / 100),
        ("linear2", "Linear(2, 1)", pattern((4, 1), 5, signed=True), pattern((4, 1), 6, signed=True) / 10),
        ("act2", "Sigmoid()", pattern((4, 1), 7), pattern((4, 1), 8, signed=True) / 10),
    )
    parameters = (
        ("linear1.weight", pattern((2, 4), 9, signed=True), pattern((2, 4), 10, signed=True) / 100),
        ("linear1.bias", pattern((2,), 11, signed=True), pattern((2,), 12, signed=True) / 100),
        ("linear2.weight", pattern((1, 2), 13, signed=True), pattern((1, 2), 14, signed=True) / 100),
        ("linear2.bias", pattern((1,), 15, signed=True), None),
    )
    return NetworkLook(3, inputs, torch.tensor([[0.0], [1.0], [1.0], [0.0]]), units, 0.2601, parameters)


def health_events() -> list:
    """A run of lesson 11 whose checks show the tutorial's sigmoid on the output, then a healthy one."""
    started = RunStarted(11, "cpu", 1, 100, 100, 566_266, "cifar10", CLASSES, 400, 100)
    events: list = [started]
    names = ("conv1", "fc1", "fc2")
    for k, step in enumerate((1, 40, 80)):
        flow = tuple((s, tuple(0.02 * (i + 1) * (1 + ((s * 7 + i) % 5) / 10) for i in range(3))) for s in range(step - 9 if step > 1 else 1, step + 1))
        layers = tuple(
            LayerHealth(name, "Conv2d" if i == 0 else "Linear", 0.02 * (i + 1), 1.5 + i, 0.0015 * (i + 1) * (3 if k == 2 else 1), 0.5 / (i + 1))
            for i, name in enumerate(names)
        )
        activations = (
            ActivationHealth("sigmoid(conv1)", "sigmoid", saturated=0.01),
            ActivationHealth("sigmoid(fc1)", "sigmoid", saturated=0.04),
            ActivationHealth("sigmoid(fc2)", "sigmoid", saturated=0.0),
        )
        sentence = (
            "the class scores pass through a sigmoid before the loss: squeezed into 0 to 1, no class can get more than "
            "23% probability, so the loss can never go below 1.46, and the gradient is 4.0 times smaller once back "
            "through it; cross-entropy wants the raw scores (see the lesson's 'activation on output' setting)"
        )
        short = "a sigmoid on the class scores caps every class at 23% (see the lesson's 'activation on output' setting)"
        events.append(HealthChecked(step, layers, activations, flow, (sentence,), (sentence,) if k == 0 else (), short))
    return events

"""Lesson 2: a linear layer and its first, arbitrary prediction."""

from __future__ import annotations

from string import Template
from typing import Any, Iterator

from ..settings import Settings
from .small import SmallLesson, floats

TEXT = (
    "nn.Linear(4, 1) computes y = w1*x1 + w2*x2 + w3*x3 + w4*x4 + b: one weight per input "
    "and a bias. Those five numbers are the layer's parameters, and PyTorch starts them at "
    "small random values, so the first prediction is arbitrary.\n\n"
    "The seed fixes that randomness: the same seed gives the same starting weights and the "
    "same prediction every time. Try another seed, or another x, and watch the output move."
)

SCRIPT = Template(
    """
import torch
from torch import nn

torch.manual_seed($SEED)  # same seed, same starting weights
x = torch.tensor([$X])  # (1, F): one sample of F features
model = nn.Linear(x.shape[1], 1)  # y = w . x + b
prediction = model(x)  # (1, 1)
print("weight", model.weight.data, "bias", model.bias.data)
print("prediction", prediction.item())
"""
)


def predict(lesson: SmallLesson, settings: Settings, *, input_grad: bool = False) -> Iterator[Any]:
    """Start a run, snapshot the fresh layer and note its prediction; returns (model, x, target, prediction)."""
    from ..events import Note, RunStarted
    from ..notebook import fmt, parameter_count, snapshot

    model = lesson.build_model(settings)
    inputs, targets = lesson.data(settings)
    yield RunStarted(lesson.number, "cpu", 0, 0, 0, parameter_count(model), settings=settings)
    yield snapshot(model, 0, "start")
    if input_grad:
        inputs.requires_grad_(True)
    outputs = model(inputs)
    yield Note("prediction = model(x)", fmt(outputs[0]))
    return model, inputs, targets, outputs


def script_head(settings: Settings, *, input_grad: bool = False) -> str:
    """The script up to the prediction; with `input_grad`, x asks for its gradient."""
    script = SCRIPT.substitute(X=floats(settings.x), SEED=settings.seed)
    if input_grad:
        script = script.replace("])  # (1, F)", "], requires_grad=True)  # (1, F); ask for x.grad", 1)
    return script


class LinearLesson(SmallLesson):
    """One prediction of a freshly initialised Linear(4, 1)."""

    def run(self, settings: Settings, control: Any, **_: Any) -> Iterator[Any]:
        """The prediction and the weights that made it."""
        from ..events import Finished, Note
        from ..notebook import fmt

        model, _, _, outputs = yield from predict(self, settings)
        yield Note("weight, bias", f"{fmt(model.weight)}\n{fmt(model.bias)}")
        yield Finished(self.number, "cpu", 0, 0, 0.0, 0.0, None, outputs=tuple(outputs.flatten().tolist()))

    def script(self, settings: Settings) -> str:
        """Make the layer and print its prediction."""
        return script_head(settings)


LESSON = LinearLesson(2, "A linear layer", TEXT, ("x", "seed"), Settings().replace(x=(1.0, 2.0, 3.0, 4.0)))

"""Lesson 3: the loss, one number that says how wrong the prediction is."""

from __future__ import annotations

from string import Template
from typing import Any, Iterator

from ..settings import Settings
from .l02_linear import predict, script_head
from .small import SmallLesson

TEXT = (
    "To learn, a model needs one number that says how wrong it is: the loss. Here we want "
    "the layer to output the target (0 by default), and we measure the miss with the mean "
    "squared error, (prediction - target)^2 for our single output.\n\n"
    "A loss of 0 is a perfect answer; doubling the miss makes the loss four times larger, "
    "so big mistakes weigh most. Change the target and see the loss follow."
)

SCRIPT = Template(
    """
# -- loss: how far the prediction is from what we want
target = torch.tensor([[$TARGET]])  # (1, 1), the same shape as the prediction
loss_fn = nn.MSELoss()
loss = loss_fn(prediction, target)
print(f"final loss: {loss.item():.8g}")
"""
)


def score(lesson: SmallLesson, settings: Settings, outputs: Any, targets: Any) -> Iterator[Any]:
    """Note the mean squared error of the prediction; returns the loss tensor."""
    from torch import nn

    from ..events import Note
    from ..notebook import fmt

    loss = nn.MSELoss()(outputs, targets)
    yield Note(f"loss = MSE(prediction, target {settings.target:g})", fmt(loss.item()))
    return loss


def script_loss(settings: Settings) -> str:
    """The script's lines that measure the loss."""
    return SCRIPT.substitute(TARGET=repr(float(settings.target))).lstrip("\n")


class LossLesson(SmallLesson):
    """A prediction and its squared error against the target."""

    def run(self, settings: Settings, control: Any, **_: Any) -> Iterator[Any]:
        """The prediction and its loss."""
        from ..events import Finished

        _, _, targets, outputs = yield from predict(self, settings)
        loss = yield from score(self, settings, outputs, targets)
        yield Finished(
            self.number, "cpu", 0, 0, 0.0, 0.0, loss.item(),
            outputs=tuple(outputs.flatten().tolist()), targets=(settings.target,),
        )

    def script(self, settings: Settings) -> str:
        """Predict, then measure the loss."""
        return script_head(settings) + "\n" + script_loss(settings)


LESSON = LossLesson(
    3, "Loss", TEXT, ("x", "target", "seed"), Settings().replace(x=(1.0, 2.0, 3.0, 4.0), target=0.0)
)

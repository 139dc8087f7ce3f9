"""Lesson 4: the gradient, what backward() writes into .grad."""

from __future__ import annotations

from typing import Any, Iterator

from ..settings import Settings
from .l02_linear import predict, script_head
from .l03_loss import score, script_loss
from .small import SmallLesson

TEXT = (
    "loss.backward() walks the computation backwards and fills in .grad: for every tensor "
    "that asked for it, how much the loss would change if that number grew a little. "
    "Before backward() there is nothing to show, so x.grad is None; after it, it holds four "
    "numbers, one per input.\n\n"
    "The gradient of the weights is what training uses: it points uphill, so stepping the "
    "other way lowers the loss. For mean squared error it is 2 * (prediction - target) "
    "times the input, which you can check against the numbers shown."
)

SCRIPT = """
# -- gradient: d(loss)/d(every tensor that asked for it)
print("x.grad before backward():", x.grad)
loss.backward()
print("x.grad after backward():", x.grad[0])
print("weight.grad:", model.weight.grad[0], "bias.grad:", model.bias.grad)
"""


class GradientLesson(SmallLesson):
    """The loss of a prediction, then backward(): x.grad is None before and four numbers after."""

    def run(self, settings: Settings, control: Any, **_: Any) -> Iterator[Any]:
        """The prediction, its loss, and every gradient backward() fills in."""
        from ..events import Finished, Note
        from ..notebook import fmt, snapshot

        model, inputs, targets, outputs = yield from predict(self, settings, input_grad=True)
        loss = yield from score(self, settings, outputs, targets)
        yield Note("x.grad before backward()", fmt(inputs.grad))
        loss.backward()
        yield Note("x.grad after backward()", fmt(inputs.grad[0]))
        yield Note("weight.grad", fmt(model.weight.grad[0]))
        yield Note("bias.grad", fmt(model.bias.grad))
        yield snapshot(model, 0, "end")
        yield Finished(
            self.number, "cpu", 0, 0, 0.0, 0.0, loss.item(),
            outputs=tuple(outputs.flatten().tolist()), targets=(settings.target,),
        )

    def script(self, settings: Settings) -> str:
        """Predict, measure the loss, and print the gradients."""
        return script_head(settings, input_grad=True) + "\n" + script_loss(settings) + SCRIPT


LESSON = GradientLesson(
    4, "Gradient", TEXT, ("x", "target", "seed"), Settings().replace(x=(1.0, 2.0, 3.0, 4.0), target=0.0)
)

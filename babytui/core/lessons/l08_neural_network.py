"""Lesson 8: two linear layers with a nonlinearity between them, and the tutorial's optimizer slip."""

from __future__ import annotations

import inspect
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from ..settings import Settings
from .layers import activation_module
from .small import SmallLesson

if TYPE_CHECKING:
    from torch import nn

TEXT = (
    "Stack two linear layers with a nonlinearity between them and you have a neural "
    "network: Linear(4, 2), sigmoid, Linear(2, 1), sigmoid. The sigmoid squeezes any number "
    "into 0..1, which suits targets of 0 and 1.\n\n"
    "The tutorial hands the optimizer only the first layer's parameters, so the second "
    "layer never changes. Here the optimizer gets all of them; switch 'optimize first layer "
    "only' on to see the tutorial's version stall. With lr 0.1 and 3 epochs the outputs sit "
    "near the same value; try lr 1 and 5000 epochs."
)


def two_layers(hidden, activation, output_activation):
    """Linear(4, hidden), activation, Linear(hidden, 1) and, as the tutorial has it, the activation again."""
    from torch import nn

    return nn.Sequential(
        OrderedDict(
            linear1=nn.Linear(4, hidden),
            act1=activation_module(activation),
            linear2=nn.Linear(hidden, 1),
            act2=activation_module(activation) if output_activation else nn.Identity(),
        )
    )


class NeuralNetworkLesson(SmallLesson):
    """Two layers built from nn.Sequential; the optimizer may be given the first layer only."""

    def build_model(self, settings: Settings, num_classes: int = 10) -> nn.Module:
        """The two layers for these settings."""
        return two_layers(settings.hidden, settings.activation, settings.output_activation)

    def trained_parameters(self, model: nn.Module, s: Settings) -> Any:
        """Every parameter; only the first layer's with the tutorial's slip switched on."""
        return model.linear1.parameters() if s.first_layer_only else model.parameters()

    def script_imports(self, s: Settings) -> list[str]:
        """OrderedDict names the layers."""
        return ["from collections import OrderedDict"]

    def script_model(self, s: Settings) -> list[str]:
        """The layers' function, copied, and what the optimizer is given."""
        lines = [
            "",
            "",
            inspect.getsource(activation_module).rstrip(),
            "",
            "",
            inspect.getsource(two_layers).rstrip(),
            "",
            "",
            f"model = two_layers(hidden={s.hidden}, activation={s.activation!r}, output_activation={s.output_activation})",
        ]
        if s.first_layer_only:
            lines.append("params = model.linear1.parameters()  # the tutorial's slip: linear2 never learns")
        else:
            lines.append("params = model.parameters()  # every layer learns")
        return lines


LESSON = NeuralNetworkLesson(
    8,
    "A neural network",
    TEXT,
    (
        "targets",
        "lr",
        "epochs",
        "batch_size",
        "hidden",
        "activation",
        "output_activation",
        "first_layer_only",
        "seed",
        "max_steps",
    ),
    Settings().replace(lr=0.1, epochs=3, batch_size=4, hidden=2, activation="sigmoid"),
    single=False,
)

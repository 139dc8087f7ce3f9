"""Lesson 9: the same network written as an nn.Module class."""

from __future__ import annotations

import inspect

from ..settings import Settings
from .layers import Network, activation_fn, nn
from .small import SmallLesson

TEXT = (
    "The same network, written the way PyTorch code usually is: a class that builds its "
    "layers in __init__ and says how data flows in forward(). model(inputs) calls forward "
    "for you, and model.parameters() finds every layer's weights, so the optimizer can't "
    "miss one.\n\n"
    "The tutorial's forward() calls a global sigmoid instead of the layer's own; here it "
    "uses self.act. Nothing else changes, so the numbers match lesson 8 for the same seed."
)


class TwoLayerNet(Network):
    """Linear, activation, Linear, activation, written as a class."""

    def __init__(self, inputs, hidden, activation, output_activation):
        super().__init__()
        self.fc1 = nn.Linear(inputs, hidden)
        self.fc2 = nn.Linear(hidden, 1)
        self.act = activation_fn(activation)
        self.output_activation = output_activation

    def forward(self, x):
        x = self.act(self.fc1(x))  # (B, hidden)
        x = self.fc2(x)  # (B, 1)
        return self.act(x) if self.output_activation else x


class ModuleClassLesson(SmallLesson):
    """Lesson 8's network as a class: forward() says how data flows."""

    def build_model(self, settings: Settings, num_classes: int = 10) -> Network:
        """The class, for four inputs."""
        return TwoLayerNet(4, settings.hidden, settings.activation, settings.output_activation)

    def script_model(self, s: Settings) -> list[str]:
        """The class, copied, and an instance of it."""
        return [
            "",
            "",
            inspect.getsource(activation_fn).rstrip(),
            "",
            "",
            inspect.getsource(TwoLayerNet).rstrip(),
            "",
            "",
            f"model = TwoLayerNet(inputs=4, hidden={s.hidden}, activation={s.activation!r}, "
            f"output_activation={s.output_activation})",
            "params = model.parameters()",
        ]


LESSON = ModuleClassLesson(
    9,
    "An nn.Module class",
    TEXT,
    ("targets", "lr", "epochs", "batch_size", "hidden", "activation", "output_activation", "seed", "max_steps"),
    Settings().replace(lr=0.1, epochs=3, batch_size=4, hidden=2, activation="sigmoid"),
    single=False,
)

"""Lesson 13: ReLU, a second convolution, and the GPU."""

from __future__ import annotations

from ..settings import Settings
from .images import IMAGE_FIELDS, ImageLesson
from .layers import Network, activation_fn, nn

TEXT = (
    "Three changes. ReLU, max(0, x), replaces the sigmoid: it does not flatten out for large "
    "inputs, so gradients stay alive through many layers. A second convolution reads the "
    "first one's maps, finding patterns of patterns. And the model and data move to the GPU "
    "with .to(device) when there is one (pick the device in the settings).\n\n"
    "With lr 0.01 for 25 epochs this network reaches about 60%. The tutorial also puts a "
    "ReLU on the output scores; it trains, but scores cut at zero make some mistakes "
    "impossible to learn from. Set 'activation on output' to no to see the difference."
)


class DeepConvNet(Network):
    """Two convolution-and-pool stages, then two linear layers."""

    def __init__(self, conv1_channels, conv2_channels, hidden, activation, output_activation, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, conv1_channels, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(conv1_channels, conv2_channels, 5)
        self.fc1 = nn.Linear(conv2_channels * 5 * 5, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)
        self.act = activation_fn(activation)
        self.output_activation = output_activation

    def forward(self, x):
        x = self.pool(self.act(self.conv1(x)))  # (B, C1, 14, 14)
        x = self.pool(self.act(self.conv2(x)))  # (B, C2, 5, 5)
        x = x.flatten(1)
        x = self.act(self.fc1(x))
        x = self.fc2(x)  # (B, classes): raw scores (logits)
        return self.act(x) if self.output_activation else x


DEEP_FIELDS = ("conv1_channels", "conv2_channels", "hidden", "activation", "output_activation")
"""The settings of the two-convolution network, in form order."""
DEEP_DEFAULTS = Settings().replace(
    lr=0.01, epochs=25, batch_size=4, hidden=120, conv1_channels=10, conv2_channels=20, activation="relu"
)
"""The tutorial's settings for it."""

LESSON = ImageLesson(
    13,
    "ReLU, more layers, the GPU",
    TEXT,
    DEEP_FIELDS + IMAGE_FIELDS,
    DEEP_DEFAULTS,
    model=DeepConvNet,
    model_settings=DEEP_FIELDS,
)

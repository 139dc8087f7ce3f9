"""Lesson 12: pooling, four times fewer numbers after the convolution."""

from __future__ import annotations

from ..settings import Settings
from .images import IMAGE_FIELDS, ImageLesson
from .layers import Network, activation_fn, nn

TEXT = (
    "Max pooling keeps the largest value of every 2x2 square, halving each side of the "
    "feature maps: 6x28x28 becomes 6x14x14, a quarter of the numbers. The linear layer "
    "after it shrinks from 4704 to 1176 inputs, so each step is much cheaper, and a feature "
    "that moves by a pixel still lands in the same square.\n\n"
    "Compare the images per second with lesson 11 at the same accuracy."
)


class PoolNet(Network):
    """A convolution followed by 2x2 max pooling, then two linear layers."""

    def __init__(self, conv1_channels, hidden, activation, output_activation, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, conv1_channels, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(conv1_channels * 14 * 14, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)
        self.act = activation_fn(activation)
        self.output_activation = output_activation

    def forward(self, x):
        x = self.pool(self.act(self.conv1(x)))  # (B, C1, 14, 14)
        x = x.flatten(1)
        x = self.act(self.fc1(x))
        x = self.fc2(x)  # (B, classes): raw scores (logits)
        return self.act(x) if self.output_activation else x


LESSON = ImageLesson(
    12,
    "Pooling",
    TEXT,
    ("conv1_channels", "hidden", "activation", "output_activation") + IMAGE_FIELDS,
    Settings().replace(lr=0.1, epochs=3, batch_size=4, hidden=120, conv1_channels=6, activation="sigmoid"),
    model=PoolNet,
    model_settings=("conv1_channels", "hidden", "activation", "output_activation"),
)

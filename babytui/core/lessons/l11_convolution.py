"""Lesson 11: a convolution, filters slid over the picture."""

from __future__ import annotations

from ..settings import Settings
from .images import IMAGE_FIELDS, ImageLesson
from .layers import Network, activation_fn, nn

TEXT = (
    "A flattened image forgets which pixels are neighbours. A convolution keeps them: it "
    "slides small 5x5 filters over the picture and writes how strongly each patch matches "
    "each filter into a feature map. Conv2d(3, 6, 5) learns six filters, giving six 28x28 "
    "maps (4704 numbers) for the linear layers to read.\n\n"
    "The same filter is used everywhere, so an edge is found wherever it is. Watch the "
    "filters in the weight inspector take shape as it trains. It is slower than lesson 10: "
    "the first linear layer is now 4704 x 120."
)


class ConvNet(Network):
    """One 5x5 convolution, then lesson 10's two linear layers on its feature maps."""

    def __init__(self, conv1_channels, hidden, activation, output_activation, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, conv1_channels, 5)
        self.fc1 = nn.Linear(conv1_channels * 28 * 28, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)
        self.act = activation_fn(activation)
        self.output_activation = output_activation

    def forward(self, x):
        x = self.act(self.conv1(x))  # (B, C1, 28, 28)
        x = x.flatten(1)
        x = self.act(self.fc1(x))
        x = self.fc2(x)  # (B, classes): raw scores (logits)
        return self.act(x) if self.output_activation else x


LESSON = ImageLesson(
    11,
    "A convolution",
    TEXT,
    ("conv1_channels", "hidden", "activation", "output_activation") + IMAGE_FIELDS,
    Settings().replace(lr=0.1, epochs=3, batch_size=4, hidden=120, conv1_channels=6, activation="sigmoid"),
    model=ConvNet,
    model_settings=("conv1_channels", "hidden", "activation", "output_activation"),
)

"""Lesson 10: images, CIFAR-10 through lesson 9's network made wider."""

from __future__ import annotations

from ..settings import Settings
from .images import IMAGE_FIELDS, ImageLesson
from .layers import Network, activation_fn, nn

OUTPUT_NOTE = (
    "The tutorial also squashes the ten class scores with the activation before the loss. "
    "Cross-entropy expects raw scores (logits): it applies its own softmax, and a sigmoid in "
    "front of it caps every score between 0 and 1, so the loss can never get small and the "
    "gradients fade. The default keeps the tutorial's choice so the numbers match; set "
    "'activation on output' to no and compare."
)
"""Why the tutorial's activation on the class scores hurts, said once for the image lessons."""

TEXT = (
    "CIFAR-10: 50,000 training and 10,000 test pictures of 32x32 pixels in ten classes. "
    "Each image is a (3, 32, 32) tensor of colour channels; scaled to -1..1 and flattened, "
    "it is 3072 numbers, and the network is lesson 9's, only wider: 3072 inputs, 25 hidden "
    "units, 10 outputs, one score per class.\n\n"
    "Cross-entropy turns the ten scores into probabilities and charges for a low "
    "probability on the true class. Accuracy is measured on the test images, which the "
    "model never trains on. Guessing gives 10%.\n\n" + OUTPUT_NOTE
)


class MLP(Network):
    """Every pixel into one hidden layer, then one score per class."""

    def __init__(self, hidden, activation, output_activation, num_classes=10):
        super().__init__()
        self.fc1 = nn.Linear(3 * 32 * 32, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)
        self.act = activation_fn(activation)
        self.output_activation = output_activation

    def forward(self, x):
        x = x.flatten(1)  # (B, 3072)
        x = self.act(self.fc1(x))  # (B, hidden)
        x = self.fc2(x)  # (B, classes): raw scores (logits)
        return self.act(x) if self.output_activation else x


LESSON = ImageLesson(
    10,
    "Images",
    TEXT,
    ("hidden", "activation", "output_activation") + IMAGE_FIELDS,
    Settings().replace(lr=0.1, epochs=3, batch_size=4, hidden=25, activation="sigmoid"),
    model=MLP,
    model_settings=("hidden", "activation", "output_activation"),
)

"""Lesson 18: initialization and vanishing gradients, on a deep plain network."""

from __future__ import annotations

from ..init import init_weights
from ..settings import Settings
from .images import IMAGE_FIELDS, ImageLesson
from .layers import Network, activation_fn, nn

TEXT = (
    "Eight linear layers in a row, with no convolution to help: the image is flattened and passed "
    "through eight hidden layers of 128 units, each followed by the activation. With the sigmoid "
    "and PyTorch's default weights it barely learns, and the reason is arithmetic.\n\n"
    "Backward, the chain rule multiplies the gradient by two things at every layer: the "
    "activation's slope and the layer's weights. A sigmoid's slope is at most 1/4, and the "
    "default weights are small (their std is 1/sqrt(3 x inputs)), so every layer passes back a "
    "fraction of what it got. Eight fractions in a row leave the first layer a gradient about a "
    "million times smaller than the last one's (on CIFAR-10, after one epoch): it hardly moves, "
    "and the layers after it learn from features that stay random.\n\n"
    "How the weights start decides how the signal travels. All zeros: every unit of a layer "
    "computes the same thing and gets the same gradient, so they stay copies of each other for "
    "ever (the symmetry never breaks). normal with a small init std shrinks the signal layer by "
    "layer. Xavier (Glorot) picks the std that keeps the variance of the signal about the same forward "
    "and backward, sqrt(2 / (inputs + outputs)), for activations that pass small values through "
    "almost unchanged, like tanh (times a gain: 5/3 for tanh, 1 for the sigmoid). Kaiming (He) "
    "uses sqrt(2 / inputs) for the ReLU: the factor 2 makes up for the half of its inputs a "
    "ReLU sets to zero.\n\n"
    "Run it as it is and open the Health view (7): the gradient-flow lines step down from out to "
    "layers.0, and the health line says how many times less gradient the first layer gets. Then "
    "set activation to relu and init to kaiming and run again: the lines sit together, within "
    "a factor of ten, and the test accuracy climbs. Try tanh with xavier, and zeros with anything."
)


class DeepPlainNet(Network):
    """`depth` hidden linear layers of `hidden` units, each with the activation, then a linear to the classes."""

    def __init__(self, depth, hidden, activation, init, init_std, num_classes=10):
        super().__init__()
        sizes = [3 * 32 * 32] + [hidden] * depth
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.out = nn.Linear(hidden, num_classes)
        self.act = activation_fn(activation)
        init_weights(self, init, init_std, activation)  # PyTorch's own weights unless init says otherwise

    def forward(self, x):
        x = x.flatten(1)  # (B, 3072)
        for layer in self.layers:
            x = self.act(layer(x))  # (B, hidden)
        return self.out(x)  # (B, classes): raw scores (logits)


class InitLesson(ImageLesson):
    """An image lesson whose network starts its weights with `init_weights`: the script copies it too."""

    def script_sources(self):
        """The activation, the init, then the network."""
        return (activation_fn, init_weights, self.model)


PLAIN_FIELDS = ("depth", "hidden", "activation", "init", "init_std")
"""The settings of the deep plain network, in form order."""

LESSON = InitLesson(
    18,
    "Initialization",
    TEXT,
    PLAIN_FIELDS + IMAGE_FIELDS,
    Settings().replace(depth=8, hidden=128, activation="sigmoid", init="default", lr=0.05, batch_size=64, epochs=1),
    model=DeepPlainNet,
    model_settings=PLAIN_FIELDS,
)

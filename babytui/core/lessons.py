"""The fourteen lessons: title, explanation, settings and model of each."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from .settings import Settings, validate

if TYPE_CHECKING:
    from torch import nn

IMAGE_FIELDS = ("lr", "epochs", "batch_size", "seed", "device", "dataset", "data_root", "trust_data", "max_steps")


@dataclass(frozen=True)
class Lesson:
    """One lesson: what it teaches, which settings it has and their defaults."""

    number: int
    """1-14, the order of the course."""
    title: str
    """Short title as in the course table."""
    kind: str
    """'tensor' (1), 'single' (2-6: one sample), 'batch' (7-9: four samples), 'image' (10-14)."""
    text: str
    """A few paragraphs in plain words: what this lesson shows and what to try."""
    fields: tuple[str, ...]
    """The settings this lesson has, in form order."""
    defaults: Settings
    """The tutorial's values for those settings."""

    @property
    def is_image(self) -> bool:
        """True for the CIFAR-10 lessons, which train for seconds to minutes."""
        return self.kind == "image"

    def settings(self, values: Mapping[str, Any] | None = None, base: Settings | None = None) -> Settings:
        """Validated settings: `values` (text or typed) applied over `base` or the defaults."""
        return validate(self.fields, base or self.defaults, values or {})

    def build_model(self, settings: Settings, num_classes: int = 10) -> nn.Module | None:
        """A freshly initialised model for these settings (call after seeding)."""
        # torch is imported here, not at the top, so the app's first frame does not wait for it.
        from torch import nn

        from .models import ConvNet, DeepConvNet, MLP, PoolNet, TwoLayerNet, activation_module

        s = settings
        n = self.number
        if n == 1:
            return None
        if n <= 7:
            return nn.Linear(len(s.x) if n <= 6 else 4, 1)
        if n == 8:
            return nn.Sequential(
                OrderedDict(
                    linear1=nn.Linear(4, s.hidden),
                    act1=activation_module(s.activation),
                    linear2=nn.Linear(s.hidden, 1),
                    act2=activation_module(s.activation) if s.output_activation else nn.Identity(),
                )
            )
        if n == 9:
            return TwoLayerNet(4, s.hidden, s.activation, s.output_activation)
        if n == 10:
            return MLP(s.hidden, s.activation, s.output_activation, num_classes)
        if n == 11:
            return ConvNet(s.conv1_channels, s.hidden, s.activation, s.output_activation, num_classes)
        if n == 12:
            return PoolNet(s.conv1_channels, s.hidden, s.activation, s.output_activation, num_classes)
        return DeepConvNet(
            s.conv1_channels, s.conv2_channels, s.hidden, s.activation, s.output_activation, num_classes
        )


BATCH_INPUTS = ((0.0, 0.0, 1.0, 1.0), (0.0, 1.0, 1.0, 0.0), (1.0, 0.0, 1.0, 0.0), (1.0, 1.0, 1.0, 1.0))
"""The four samples of lessons 7-9, one row each."""

_D = Settings()

_OUTPUT_NOTE = (
    "The tutorial also squashes the ten class scores with the activation before the loss. "
    "Cross-entropy expects raw scores (logits): it applies its own softmax, and a sigmoid in "
    "front of it caps every score between 0 and 1, so the loss can never get small and the "
    "gradients fade. The default keeps the tutorial's choice so the numbers match; set "
    "'activation on output' to no and compare."
)

LESSONS: tuple[Lesson, ...] = (
    Lesson(
        1,
        "Tensors, and y = x",
        "tensor",
        "A tensor is PyTorch's array: numbers laid out along one or more axes, able to live on "
        "the CPU or a GPU. A list of four numbers is a 1-D tensor of shape (4,); stack two such "
        "rows and you have a 2-D tensor of shape (2, 4); stack two of those and it is 3-D, "
        "(2, 2, 4).\n\n"
        "Indexing picks numbers out: x2[0] is the first row, x2[:, 2] the third column of every "
        "row, x3[0, :, 0] the first entry of each row in the first block. A colon keeps an axis "
        "whole, a number removes it.\n\n"
        "The smallest possible 'model' is y = x: it hands back its input untouched. Nothing is "
        "learned yet, but every later lesson has this shape: a tensor goes in, a tensor comes "
        "out. Change x and run again.",
        ("x",),
        _D.replace(x=(1.0, 2.0, 3.0, 4.0)),
    ),
    Lesson(
        2,
        "A linear layer",
        "single",
        "nn.Linear(4, 1) computes y = w1*x1 + w2*x2 + w3*x3 + w4*x4 + b: one weight per input "
        "and a bias. Those five numbers are the layer's parameters, and PyTorch starts them at "
        "small random values, so the first prediction is arbitrary.\n\n"
        "The seed fixes that randomness: the same seed gives the same starting weights and the "
        "same prediction every time. Try another seed, or another x, and watch the output move.",
        ("x", "seed"),
        _D.replace(x=(1.0, 2.0, 3.0, 4.0)),
    ),
    Lesson(
        3,
        "Loss",
        "single",
        "To learn, a model needs one number that says how wrong it is: the loss. Here we want "
        "the layer to output the target (0 by default), and we measure the miss with the mean "
        "squared error, (prediction - target)^2 for our single output.\n\n"
        "A loss of 0 is a perfect answer; doubling the miss makes the loss four times larger, "
        "so big mistakes weigh most. Change the target and see the loss follow.",
        ("x", "target", "seed"),
        _D.replace(x=(1.0, 2.0, 3.0, 4.0), target=0.0),
    ),
    Lesson(
        4,
        "Gradient",
        "single",
        "loss.backward() walks the computation backwards and fills in .grad: for every tensor "
        "that asked for it, how much the loss would change if that number grew a little. "
        "Before backward() there is nothing to show, so x.grad is None; after it, it holds four "
        "numbers, one per input.\n\n"
        "The gradient of the weights is what training uses: it points uphill, so stepping the "
        "other way lowers the loss. For mean squared error it is 2 * (prediction - target) "
        "times the input, which you can check against the numbers shown.",
        ("x", "target", "seed"),
        _D.replace(x=(1.0, 2.0, 3.0, 4.0), target=0.0),
    ),
    Lesson(
        5,
        "One update",
        "single",
        "An optimizer turns gradients into changes. Plain SGD does weight -= lr * gradient for "
        "every parameter it was given. One call to optimizer.step() is one update.\n\n"
        "With lr 0.1 the step is far too big for this problem: the output jumps past the target "
        "and lands further away on the other side. Compare the weights and the output before "
        "and after, then try lr 0.01 or 0.001.",
        ("x", "target", "lr", "seed"),
        _D.replace(x=(1.0, 2.0, 3.0, 4.0), target=0.0, lr=0.1),
    ),
    Lesson(
        6,
        "Epochs",
        "single",
        "Training is the same update repeated. Each pass here is an epoch: clear the old "
        "gradients (they add up otherwise), predict, measure the loss, backward(), step().\n\n"
        "With a learning rate 1000 times smaller than lesson 5 the output no longer overshoots; "
        "it creeps toward the target, a little per epoch. Three epochs barely move it: raise "
        "epochs to 100 or 1000, or raise lr, and find where it starts to overshoot again.",
        ("x", "target", "lr", "epochs", "seed", "max_steps"),
        _D.replace(x=(1.0, 2.0, 3.0, 4.0), target=0.0, lr=1e-4, epochs=3),
    ),
    Lesson(
        7,
        "Mini-batches",
        "batch",
        "Now there are four samples of four features, each with its own target, and each "
        "update looks at a batch of them (2 by default): an epoch is two updates. The model is "
        "still one linear layer.\n\n"
        "Keep the shapes matched: the layer outputs shape (batch, 1), so the targets are shaped "
        "(batch, 1) too. The tutorial compares (2, 1) with (2,), and MSELoss quietly broadcasts "
        "that to a (2, 2) grid of every prediction against every target: a wrong loss with no "
        "error.\n\n"
        "At lr 1e-4 nothing seems to happen. Look at the data: the target is always 1 minus "
        "the fourth feature, so a straight line fits it exactly. Try lr 0.1 and 2000 epochs.",
        ("targets", "lr", "epochs", "batch_size", "seed", "max_steps"),
        _D.replace(lr=1e-4, epochs=3, batch_size=2),
    ),
    Lesson(
        8,
        "A neural network",
        "batch",
        "Stack two linear layers with a nonlinearity between them and you have a neural "
        "network: Linear(4, 2), sigmoid, Linear(2, 1), sigmoid. The sigmoid squeezes any number "
        "into 0..1, which suits targets of 0 and 1.\n\n"
        "The tutorial hands the optimizer only the first layer's parameters, so the second "
        "layer never changes. Here the optimizer gets all of them; switch 'optimize first layer "
        "only' on to see the tutorial's version stall. With lr 0.1 and 3 epochs the outputs sit "
        "near the same value; try lr 1 and 5000 epochs.",
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
        _D.replace(lr=0.1, epochs=3, batch_size=4, hidden=2, activation="sigmoid"),
    ),
    Lesson(
        9,
        "An nn.Module class",
        "batch",
        "The same network, written the way PyTorch code usually is: a class that builds its "
        "layers in __init__ and says how data flows in forward(). model(inputs) calls forward "
        "for you, and model.parameters() finds every layer's weights, so the optimizer can't "
        "miss one.\n\n"
        "The tutorial's forward() calls a global sigmoid instead of the layer's own; here it "
        "uses self.act. Nothing else changes, so the numbers match lesson 8 for the same seed.",
        ("targets", "lr", "epochs", "batch_size", "hidden", "activation", "output_activation", "seed", "max_steps"),
        _D.replace(lr=0.1, epochs=3, batch_size=4, hidden=2, activation="sigmoid"),
    ),
    Lesson(
        10,
        "Images",
        "image",
        "CIFAR-10: 50,000 training and 10,000 test pictures of 32x32 pixels in ten classes. "
        "Each image is a (3, 32, 32) tensor of colour channels; scaled to -1..1 and flattened, "
        "it is 3072 numbers, and the network is lesson 9's, only wider: 3072 inputs, 25 hidden "
        "units, 10 outputs, one score per class.\n\n"
        "Cross-entropy turns the ten scores into probabilities and charges for a low "
        "probability on the true class. Accuracy is measured on the test images, which the "
        "model never trains on. Guessing gives 10%.\n\n" + _OUTPUT_NOTE,
        ("hidden", "activation", "output_activation") + IMAGE_FIELDS,
        _D.replace(lr=0.1, epochs=3, batch_size=4, hidden=25, activation="sigmoid"),
    ),
    Lesson(
        11,
        "A convolution",
        "image",
        "A flattened image forgets which pixels are neighbours. A convolution keeps them: it "
        "slides small 5x5 filters over the picture and writes how strongly each patch matches "
        "each filter into a feature map. Conv2d(3, 6, 5) learns six filters, giving six 28x28 "
        "maps (4704 numbers) for the linear layers to read.\n\n"
        "The same filter is used everywhere, so an edge is found wherever it is. Watch the "
        "filters in the weight inspector take shape as it trains. It is slower than lesson 10: "
        "the first linear layer is now 4704 x 120.",
        ("conv1_channels", "hidden", "activation", "output_activation") + IMAGE_FIELDS,
        _D.replace(lr=0.1, epochs=3, batch_size=4, hidden=120, conv1_channels=6, activation="sigmoid"),
    ),
    Lesson(
        12,
        "Pooling",
        "image",
        "Max pooling keeps the largest value of every 2x2 square, halving each side of the "
        "feature maps: 6x28x28 becomes 6x14x14, a quarter of the numbers. The linear layer "
        "after it shrinks from 4704 to 1176 inputs, so each step is much cheaper, and a feature "
        "that moves by a pixel still lands in the same square.\n\n"
        "Compare the images per second with lesson 11 at the same accuracy.",
        ("conv1_channels", "hidden", "activation", "output_activation") + IMAGE_FIELDS,
        _D.replace(lr=0.1, epochs=3, batch_size=4, hidden=120, conv1_channels=6, activation="sigmoid"),
    ),
    Lesson(
        13,
        "ReLU, more layers, the GPU",
        "image",
        "Three changes. ReLU, max(0, x), replaces the sigmoid: it does not flatten out for large "
        "inputs, so gradients stay alive through many layers. A second convolution reads the "
        "first one's maps, finding patterns of patterns. And the model and data move to the GPU "
        "with .to(device) when there is one (pick the device in the settings).\n\n"
        "With lr 0.01 for 25 epochs this network reaches about 60%. The tutorial also puts a "
        "ReLU on the output scores; it trains, but scores cut at zero make some mistakes "
        "impossible to learn from. Set 'activation on output' to no to see the difference.",
        ("conv1_channels", "conv2_channels", "hidden", "activation", "output_activation") + IMAGE_FIELDS,
        _D.replace(
            lr=0.01, epochs=25, batch_size=4, hidden=120, conv1_channels=10, conv2_channels=20, activation="relu"
        ),
    ),
    Lesson(
        14,
        "All together",
        "image",
        "Everything in one place: the data held as tensors on the device, the network as a "
        "small class, and the training loop in a dozen lines: shuffle, take a batch, zero the "
        "gradients, forward, loss, backward, step; then score the test split after each "
        "epoch.\n\n"
        "This is the loop every PyTorch project grows from. Export it (babytui export --lesson "
        "14) and it runs on its own. Things to try: batch size 32 with lr 0.05, more channels, "
        "no activation on the output.",
        ("conv1_channels", "conv2_channels", "hidden", "activation", "output_activation") + IMAGE_FIELDS,
        _D.replace(
            lr=0.01, epochs=25, batch_size=4, hidden=120, conv1_channels=10, conv2_channels=20, activation="relu"
        ),
    ),
)


def get_lesson(number: int) -> Lesson:
    """The lesson with this number, or a SettingsError naming the range."""
    from .errors import SettingsError

    if not isinstance(number, int) or not 1 <= number <= len(LESSONS):
        raise SettingsError("lesson", f"there is no lesson {number}: choose 1 to {len(LESSONS)}")
    return LESSONS[number - 1]

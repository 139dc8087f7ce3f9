"""Lesson 21: a strong network in minutes: everything of lessons 14-20 together, on a wider BN network."""

from __future__ import annotations

from ..settings import Settings
from .images import IMAGE_FIELDS, ImageLesson
from .l15_early_stopping import STOPPING_FIELDS
from .l16_momentum_adam import OPTIMIZER_FIELDS
from .l17_learning_rate import SCHEDULE_FIELDS
from .layers import Network, nn

TEXT = (
    "Lesson 14's network reaches about 62% on CIFAR-10 after 25 epochs. This one passes 85% in eight "
    "epochs, in under ten minutes on a 2-core CPU, and nothing in it is new: it is lessons 15 to 20 "
    "at once, on a network shaped for them. The Loss tab draws the runs of lessons 14-20 behind this "
    "one as the ghosts of the course.\n\n"
    "The network: three blocks, each two 3x3 convolutions with batch norm and GELU, each halving the "
    "picture and doubling the channels (width, 2x width, 4x width). The pool comes right after a "
    "block's first convolution, so its second one works on a quarter of the pixels. At the end each "
    "channel keeps its strongest response anywhere in the picture, and one linear layer turns those "
    "into scores, divided by 8 so they start small. At width 48: 647,376 weights, 38 million "
    "multiply-adds per picture (lesson 14: 67,110 and 1.1 million).\n\n"
    "What each choice buys. Batch norm lets it train at lr 0.2 (lesson 19). Crops of up to 4 pixels "
    "and flips mean it never sees the same picture twice, so eight epochs of a wide network do not "
    "overfit (lesson 20). SGD with Nesterov momentum 0.9 and a one-cycle schedule to 0.2, a quarter "
    "of the run warming up, then sinking to nearly nothing (lessons 16 and 17). Label smoothing 0.1 "
    "asks for 91% on the right class, not 100%, so the scores need not grow without end. Batches "
    "of 256 pay each step's fixed cost once per 256 pictures. The test-time flip scores every test "
    "picture and its mirror image and averages the two: 85.3% becomes 85.9%; training "
    "costs nothing more. One run of the defaults: 53% after the first epoch, 77% after the third, 85.9% after the "
    "eighth, in 546 s at 735 images/s. The same recipe on a two-block network of 424,000 weights "
    "and twice the multiply-adds got to 85.1%, but took 928 s.\n\n"
    "The computational side. The status line shows images per second. On a 2-core CPU this "
    "lesson's step (benchmarks/batch_throughput.py) ran 330 images/s at batch 4, 530 at 16, 660 at "
    "64 and 850 at 256, then fell to 480 at 1024, where a batch's activations no longer fit the "
    "CPU's caches. A step has a fixed cost (Python, launching each of a few dozen operations, "
    "the optimizer's pass over every weight) and a cost that grows with the batch; at batch 4 (12 ms a step, 8 of them fixed) the "
    "fixed part is most of it. Channels-last order (each pixel's channels side by side) "
    "makes this CPU's convolutions about a third faster.\n\n"
    "On a GPU batch 4 is worse still: thousands of cores finish each small operation before the "
    "CPU has launched the next, and sit idle. Capturing the whole step once and replaying it "
    "(CUDA graphs, torch.compile: the GPU issue) removes the launches; half precision halves the "
    "memory traffic and runs on the tensor cores. airbench, the fastest known CIFAR-10 trainer, "
    "reaches 94% in a few seconds on one A100 that way: the whole dataset on the GPU in fp16, "
    "augmented there, batches of 1024, a small batch-normalized network, a compiled step."
)


class StrongNet(Network):
    """Three blocks of two 3x3 convolutions with batch norm, each block halving the picture and doubling
    the channels; then each channel's strongest response, and one linear layer."""

    def __init__(self, width, num_classes=10):
        super().__init__()
        self.block1 = self.block(3, width)  # 32x32 -> 16x16
        self.block2 = self.block(width, 2 * width)  # 16x16 -> 8x8
        self.block3 = self.block(2 * width, 4 * width)  # 8x8 -> 4x4
        self.head = nn.Linear(4 * width, num_classes, bias=False)

    @staticmethod
    def block(cin, cout):
        """conv, pool, BN, GELU, conv, BN, GELU: pooling right after the first conv makes the second cost a quarter."""
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),  # no bias: the batch norm after it has its own
            nn.MaxPool2d(2),
            nn.BatchNorm2d(cout),
            nn.GELU(),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.GELU(),
        )

    def forward(self, x):
        x = self.block1(x)  # (B, W, 16, 16)
        x = self.block2(x)  # (B, 2W, 8, 8)
        x = self.block3(x)  # (B, 4W, 4, 4)
        x = x.amax(dim=(2, 3))  # (B, 4W): each channel's strongest response anywhere in the picture
        return self.head(x) / 8  # (B, classes): raw scores, kept small at the start


STRONG_FIELDS = ("width",)
"""The network's one setting: the channels of its first block (the second has twice as many, the third four times)."""
RECIPE_FIELDS = ("crop_pad", "flip", "label_smoothing") + SCHEDULE_FIELDS + OPTIMIZER_FIELDS + ("channels_last", "tta")
"""Augmentation, label smoothing, the schedule, the optimizer and the two speed-ups, in form order."""
STRONG_DEFAULTS = Settings().replace(
    width=48, epochs=8, batch_size=256, lr=0.2, optimizer="sgd", momentum=0.9, nesterov=True, weight_decay=5e-4,
    schedule="onecycle", warmup=0.25, crop_pad=4, flip=True, label_smoothing=0.1, channels_last=True, tta=True,
)
"""Everything of lessons 15-20 at once: 85% or more on CIFAR-10 in under ten minutes of a 2-core CPU."""

LESSON = ImageLesson(
    21,
    "A strong network in minutes",
    TEXT,
    STRONG_FIELDS + RECIPE_FIELDS + STOPPING_FIELDS + IMAGE_FIELDS,
    STRONG_DEFAULTS,
    model=StrongNet,
    model_settings=STRONG_FIELDS,
    ghosts=(14, 15, 16, 17, 18, 19, 20),  # the course so far, on its loss plot
)

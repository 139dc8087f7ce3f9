"""Lesson 21: a strong network in minutes: everything of lessons 14-20 together, on a wider BN network."""

from __future__ import annotations

from ..settings import Settings
from .images import IMAGE_FIELDS, ImageLesson
from .l15_early_stopping import STOPPING_FIELDS
from .l16_momentum_adam import OPTIMIZER_FIELDS
from .l17_learning_rate import SCHEDULE_FIELDS
from .layers import Network, nn

TEXT = "(written below)"


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
)

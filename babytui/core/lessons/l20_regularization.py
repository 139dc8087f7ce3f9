"""Lesson 20: regularization: weight decay, dropout and data augmentation shrink the train-validation gap."""

from __future__ import annotations

from .images import IMAGE_FIELDS, ImageLesson
from .l13_relu_deeper_gpu import DEEP_FIELDS, DeepConvNet
from .l15_early_stopping import STOPPING_FIELDS
from .l16_momentum_adam import OPTIMIZER_DEFAULTS, OPTIMIZER_FIELDS
from .l17_learning_rate import SCHEDULE_FIELDS
from .layers import activation_fn, nn

TEXT = (
    "In lesson 15 the network overfitted: after about five epochs the training loss went on falling "
    "while the validation loss rose, the gap line (validation minus training loss) widened every epoch, "
    "and the epoch best on validation scored 62.8% on the test split, the last one 58.5%. Regularization is "
    "anything that makes remembering these particular pictures harder than learning what they have "
    "in common. This lesson has three, all on by default.\n\n"
    "Weight decay pulls every weight a little toward 0 at each step: SGD adds weight decay times "
    "the weight to its gradient, the same as adding an L2 penalty (half the decay times the sum of "
    "the squared weights) to the loss. A weight stays large only if the data keeps pushing it back. With "
    "Adam that pull would be divided by each weight's own step scale along with the gradient; AdamW "
    "decouples it and shrinks the weights directly (lesson 16).\n\n"
    "Dropout sets a random share of the units to 0 in each batch (here the 500 values coming out of "
    "the convolutions and the 120 hidden units: nn.Dropout before each linear layer) and scales "
    "the others up by 1/(1 - dropout), so no unit can count on another being there. It is for "
    "training only: model.eval() turns it off, which is one more reason babytui calls eval() "
    "before it scores a split. Dropout 0 gives exactly lesson 14's network.\n\n"
    "Data augmentation shows the network a new version of the same picture each epoch: crop "
    "padding 4 shifts it by up to 4 pixels each way, black coming in at the edges, and flip "
    "mirrors about half the pictures left to right. A cat moved or mirrored is still a cat, so the "
    "labels stay. It is done on the device tensor, the whole batch at once in a few tensor "
    "operations, with no per-image transforms, as the fastest CIFAR-10 trainers do; each draw is "
    "fixed by the seed and the step, so a resumed run and the exported script draw the same. Press "
    "a on the Predictions tab (4) to see what the network is fed.\n\n"
    "Label smoothing (0 here; try 0.1) spreads that share of every target over all the classes, so "
    "the loss stops asking for one score far above the rest. The optimizer is lesson 16's momentum, "
    "with lesson 17's cosine schedule.\n\n"
    "What to compare: the training loss now stays above the validation loss (it is measured on the "
    "harder pictures, shifted and with units dropped), the gap line stays below 0, and the "
    "validation curve keeps rising to the end. On CIFAR-10 these settings end with a gap of -0.12 "
    "and 67.9% on the test split. Run them again with dropout 0, weight decay 0, crop padding 0 "
    "and flip off: the gap turns positive in epoch 3 and widens every epoch to +1.23, and the test "
    "accuracy stops at 62.9%, lesson 15's. Press R and mark the two runs to see their curves side "
    "by side."
)


class DropoutConvNet(DeepConvNet):
    """Lesson 14's network with dropout before each fully connected layer (dropout 0: exactly lesson 14's)."""

    def __init__(self, conv1_channels, conv2_channels, hidden, activation, output_activation, dropout, num_classes=10):
        super().__init__(conv1_channels, conv2_channels, hidden, activation, output_activation, num_classes)
        self.dropout = nn.Dropout(dropout)  # no weights: a new random share of units is zeroed each batch

    def forward(self, x):
        x = self.pool(self.act(self.conv1(x)))  # (B, C1, 14, 14)
        x = self.pool(self.act(self.conv2(x)))  # (B, C2, 5, 5)
        x = self.dropout(x.flatten(1))  # training: a share p of the values set to 0, the rest scaled by 1/(1-p)
        x = self.dropout(self.act(self.fc1(x)))  # model.eval(): dropout passes everything through
        x = self.fc2(x)  # (B, classes): raw scores (logits)
        return self.act(x) if self.output_activation else x


REGULARIZATION_FIELDS = ("dropout", "weight_decay", "crop_pad", "flip", "label_smoothing")
"""This lesson's settings, in form order."""
OPTIMIZER_ONLY = tuple(name for name in OPTIMIZER_FIELDS if name != "weight_decay")
"""Lesson 16's optimizer settings, less the weight decay shown with the regularization."""
REGULARIZATION_DEFAULTS = OPTIMIZER_DEFAULTS.replace(
    epochs=15, lr=0.02, schedule="cosine", dropout=0.1, weight_decay=5e-4, crop_pad=4, flip=True
)
"""Lesson 16's SGD with momentum on batches of 32, lesson 17's cosine schedule, a validation split, and all three regularizers on."""


class RegularizationLesson(ImageLesson):
    """The image lesson whose script also copies the network it extends."""

    def script_sources(self):
        """The activations, lesson 14's network, then this lesson's on top of it."""
        return (activation_fn, DeepConvNet, DropoutConvNet)


LESSON = RegularizationLesson(
    20,
    "Regularization",
    TEXT,
    DEEP_FIELDS + REGULARIZATION_FIELDS + OPTIMIZER_ONLY + SCHEDULE_FIELDS + STOPPING_FIELDS + IMAGE_FIELDS,
    REGULARIZATION_DEFAULTS,
    model=DropoutConvNet,
    model_settings=DEEP_FIELDS + ("dropout",),
)

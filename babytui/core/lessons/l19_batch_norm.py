"""Lesson 19: batch normalization, lesson 14's network with a switch, and train vs eval statistics."""

from __future__ import annotations

from .images import IMAGE_FIELDS, ImageLesson
from .l13_relu_deeper_gpu import DEEP_DEFAULTS, DEEP_FIELDS
from .layers import Network, activation_fn, nn, torch

TEXT = (
    "Batch normalization (BN) rescales what a layer hands on. After each convolution, for each "
    "channel, it takes the mean and the variance over the whole batch and every pixel, subtracts "
    "the one and divides by the square root of the other, so the channel's values arrive with mean "
    "0 and variance 1; then it multiplies by a learned scale and adds a learned shift, so the "
    "network can still ask for any mean and spread it wants. (The convolutions lose their bias: "
    "the mean taken away would cancel it, and BN's shift does its job.)\n\n"
    "What this buys: a convolution's output, once normalized, no longer depends on how large its "
    "weights are, only on their pattern. If a big step makes the weights larger, BN divides the "
    "larger outputs back down, and the gradient to those weights shrinks by the same factor, so "
    "the next steps are smaller: large learning rates calm themselves instead of throwing the "
    "signal out of range. This lesson runs at lr 0.1, ten times lesson 14's, on batches of 32: "
    "with batch norm it passes lesson 14's 25-epoch accuracy (about 59%) in two or three epochs "
    "and reaches about 64% in five. Set batch norm to no: at lr 0.1 the plain network still "
    "trains, a few points behind, but it gives way first as the lr grows. After one epoch at lr "
    "0.3 it has 40% to batch norm's 50%; at lr 1 it is stuck at 10%, a uniform guess, while "
    "batch norm still learns. Run both at lr 1, then press R, mark the two runs with space and compare them.\n\n"
    "Training and testing normalize differently, and this is why model.eval() matters. In train "
    "mode BN uses the statistics of the current batch, and keeps a running average of them on the "
    "side. In eval mode it uses those running averages, so an image's prediction no longer "
    "depends on which other images share its batch, and a batch of one works. babytui scores in "
    "eval mode; each epoch's note also scores the test split in train mode. In batches of 100 the "
    "score hardly changes (100 images give statistics close to the running ones), but one image at "
    "a time, each picture normalized by its own pixels alone, loses about 20 points: that is what "
    "forgetting model.eval() costs when you predict one picture."
)


class BatchNormConvNet(Network):
    """Lesson 14's network, with batch normalization after each convolution when batch_norm is on."""

    def __init__(self, conv1_channels, conv2_channels, hidden, activation, output_activation, batch_norm, num_classes=10):
        super().__init__()
        # With BN a convolution needs no bias: subtracting the mean would cancel it, and BN's shift replaces it.
        self.conv1 = nn.Conv2d(3, conv1_channels, 5, bias=not batch_norm)
        self.bn1 = nn.BatchNorm2d(conv1_channels) if batch_norm else nn.Identity()
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(conv1_channels, conv2_channels, 5, bias=not batch_norm)
        self.bn2 = nn.BatchNorm2d(conv2_channels) if batch_norm else nn.Identity()
        self.fc1 = nn.Linear(conv2_channels * 5 * 5, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)
        self.act = activation_fn(activation)
        self.output_activation = output_activation

    def forward(self, x):
        x = self.pool(self.act(self.bn1(self.conv1(x))))  # (B, C1, 14, 14), each channel normalized before the activation
        x = self.pool(self.act(self.bn2(self.conv2(x))))  # (B, C2, 5, 5)
        x = x.flatten(1)
        x = self.act(self.fc1(x))
        x = self.fc2(x)  # (B, classes): raw scores (logits)
        return self.act(x) if self.output_activation else x


ONE_AT_A_TIME = 500
"""Test images scored one at a time in train mode (a batch of one), each epoch."""


def train_mode_accuracy(model, images, labels, batch_size: int) -> float:
    """Test accuracy (percent) with BN in train mode: each batch normalized by its own statistics.

    The running statistics that train mode updates as a side effect are put back afterwards, so
    the run goes on exactly as if this had not been measured.
    """
    from ..datasets import normalize

    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [{name: b.clone() for name, b in m.named_buffers()} for m in norms]
    was_training = model.training
    model.train()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch_size):
            outputs = model(normalize(images[i : i + batch_size]))
            correct += (outputs.argmax(1) == labels[i : i + batch_size]).sum().item()
        for m, buffers in zip(norms, saved):
            for name, b in m.named_buffers():
                b.copy_(buffers[name])
    model.train(was_training)
    return 100.0 * correct / max(len(images), 1)


class BatchNormLesson(ImageLesson):
    """An image lesson whose epoch note compares eval mode with train mode when the network has BN."""

    def epoch_lines(self, model, data, test_accuracy):
        """The test accuracy in eval mode against train mode, in batches of 100 and one image at a time."""
        from ..scoring import evaluate

        if not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules()):
            return []
        batched = train_mode_accuracy(model, data.test_images, data.test_labels, 100)
        few = min(ONE_AT_A_TIME, len(data.test_images))
        images, labels = data.test_images[:few], data.test_labels[:few]
        single = train_mode_accuracy(model, images, labels, 1)
        _, evaluated, _ = evaluate(model, images, labels, len(data.classes))  # eval mode: the same alone or in a batch
        return [
            f"test accuracy in eval mode (running statistics) {test_accuracy:.2f}%, in train mode (each batch's own) {batched:.2f}%",
            f"the first {few:,} test images one at a time: eval mode {evaluated:.2f}%, train mode {single:.2f}%",
        ]


BN_FIELDS = DEEP_FIELDS + ("batch_norm",)
"""The settings of lesson 14's network with the batch-norm switch, in form order."""

LESSON = BatchNormLesson(
    19,
    "Batch normalization",
    TEXT,
    BN_FIELDS + IMAGE_FIELDS,
    DEEP_DEFAULTS.replace(batch_norm=True, lr=0.1, batch_size=32, epochs=5, output_activation=False),
    model=BatchNormConvNet,
    model_settings=BN_FIELDS,
)

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
    "What this buys: a layer's inputs stay in the same range however the weights before it move, "
    "so a much larger learning rate no longer throws the signal out of range, and the gradient "
    "reaches the first layer in the same good shape. This lesson runs at lr 0.1, ten times "
    "lesson 14's: with batch norm it passes lesson 14's 25-epoch accuracy in 5 epochs; set batch "
    "norm to no and the same lr makes the plain network fall apart within an epoch.\n\n"
    "Training and testing normalize differently, and this is why model.eval() matters. In train "
    "mode BN uses the statistics of the current batch, and keeps a running average of them on the "
    "side. In eval mode it uses those running averages, so an image's prediction no longer "
    "depends on which other images share its batch, and a batch of one works. babytui scores in "
    "eval mode; each epoch's note also scores the test split in train mode, in batches of 100 and "
    "one image at a time, so you can see what forgetting model.eval() costs."
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
        """The test accuracy in eval mode against train mode, in batches of 100 and of one."""
        if not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules()):
            return []
        batched = train_mode_accuracy(model, data.test_images, data.test_labels, 100)
        few = min(ONE_AT_A_TIME, len(data.test_images))
        single = train_mode_accuracy(model, data.test_images[:few], data.test_labels[:few], 1)
        return [
            f"test accuracy in eval mode (running statistics) {test_accuracy:.2f}%; in train mode (each batch's own): "
            f"batches of 100 {batched:.2f}%, one image at a time {single:.2f}% (the first {few:,})"
        ]


BN_FIELDS = DEEP_FIELDS + ("batch_norm",)
"""The settings of lesson 14's network with the batch-norm switch, in form order."""

LESSON = BatchNormLesson(
    19,
    "Batch normalization",
    TEXT,
    BN_FIELDS + IMAGE_FIELDS,
    DEEP_DEFAULTS.replace(batch_norm=True, lr=0.1, epochs=5, output_activation=False),
    model=BatchNormConvNet,
    model_settings=BN_FIELDS,
)

"""The networks of the lessons, from one linear layer to a two-convolution CNN."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

_ACTIVATIONS = {"sigmoid": torch.sigmoid, "relu": F.relu, "tanh": torch.tanh}


def activation_fn(name: str):
    """The function for an activation's name."""
    return _ACTIVATIONS[name]


class TwoLayerNet(nn.Module):
    """Lesson 9: Linear, activation, Linear, activation, written as a class."""

    def __init__(self, inputs: int, hidden: int, activation: str, output_activation: bool) -> None:
        super().__init__()
        self.fc1 = nn.Linear(inputs, hidden)
        self.fc2 = nn.Linear(hidden, 1)
        self.act = activation_fn(activation)
        self.output_activation = output_activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.fc1(x))  # (B, hidden)
        x = self.fc2(x)  # (B, 1)
        return self.act(x) if self.output_activation else x


def activation_module(name: str) -> nn.Module:
    """The nn.Module for an activation's name, for lessons built from layers."""
    return {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}[name]()


class MLP(nn.Module):
    """Lesson 10: every pixel into one hidden layer, then ten class scores."""

    def __init__(self, hidden: int, activation: str, output_activation: bool, num_classes: int = 10) -> None:
        super().__init__()
        self.fc1 = nn.Linear(3 * 32 * 32, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)
        self.act = activation_fn(activation)
        self.output_activation = output_activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)  # (B, 3072)
        x = self.act(self.fc1(x))  # (B, hidden)
        x = self.fc2(x)  # (B, classes)
        return self.act(x) if self.output_activation else x


class ConvNet(nn.Module):
    """Lesson 11: one 5x5 convolution, then the MLP on its feature maps."""

    def __init__(
        self, conv1_channels: int, hidden: int, activation: str, output_activation: bool, num_classes: int = 10
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, conv1_channels, 5)
        self.fc1 = nn.Linear(conv1_channels * 28 * 28, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)
        self.act = activation_fn(activation)
        self.output_activation = output_activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.conv1(x))  # (B, C1, 28, 28)
        x = x.flatten(1)
        x = self.act(self.fc1(x))
        x = self.fc2(x)
        return self.act(x) if self.output_activation else x


class PoolNet(nn.Module):
    """Lesson 12: a convolution followed by 2x2 max pooling, four times fewer numbers onward."""

    def __init__(
        self, conv1_channels: int, hidden: int, activation: str, output_activation: bool, num_classes: int = 10
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, conv1_channels, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(conv1_channels * 14 * 14, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)
        self.act = activation_fn(activation)
        self.output_activation = output_activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.act(self.conv1(x)))  # (B, C1, 14, 14)
        x = x.flatten(1)
        x = self.act(self.fc1(x))
        x = self.fc2(x)
        return self.act(x) if self.output_activation else x


class DeepConvNet(nn.Module):
    """Lessons 13-14: two convolution-and-pool stages, then two linear layers."""

    def __init__(
        self,
        conv1_channels: int,
        conv2_channels: int,
        hidden: int,
        activation: str,
        output_activation: bool,
        num_classes: int = 10,
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, conv1_channels, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(conv1_channels, conv2_channels, 5)
        self.fc1 = nn.Linear(conv2_channels * 5 * 5, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)
        self.act = activation_fn(activation)
        self.output_activation = output_activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.act(self.conv1(x)))  # (B, C1, 14, 14)
        x = self.pool(self.act(self.conv2(x)))  # (B, C2, 5, 5)
        x = x.flatten(1)
        x = self.act(self.fc1(x))
        x = self.fc2(x)  # (B, classes)
        return self.act(x) if self.output_activation else x

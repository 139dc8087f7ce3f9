"""What the lessons' networks are built from: activations by name, and `Network`, an nn.Module
that lets the course be listed before torch has loaded.

Importing torch takes seconds, and the app shows its first frame (every lesson's title, the
first lesson's text and settings) before that. So a lesson's network is written as a plain
class on `Network`, with `nn` and `F` reached lazily here; the moment it is first built it
becomes a real `nn.Module` subclass of the same name. The exported script copies its source
with `class Name(nn.Module):`, plain PyTorch.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..lazy import F, nn, torch  # noqa: F401  (lessons import nn from here)


class Network:
    """The base of a lesson's network: building one makes it an nn.Module (see the module's text)."""

    _modules_made: dict[type, type] = {}

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        module = importlib.import_module("torch.nn").Module
        if issubclass(cls, module):  # already the torch class (a copy, a deepcopy)
            return object.__new__(cls)
        made = Network._modules_made.get(cls)
        if made is None:
            # The lesson's class first, then nn.Module: its methods and super().__init__() work as written.
            made = type(cls.__name__, (cls, module), {"__module__": cls.__module__, "__qualname__": cls.__qualname__, "__doc__": cls.__doc__})
            Network._modules_made[cls] = made
        return object.__new__(made)


def activation_fn(name):
    """The function for an activation's name: sigmoid, relu or tanh."""
    return {"sigmoid": torch.sigmoid, "relu": F.relu, "tanh": torch.tanh}[name]


def activation_module(name):
    """The nn.Module for an activation's name, for a network built from layers."""
    return {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}[name]()

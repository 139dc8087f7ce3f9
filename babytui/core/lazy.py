"""Modules imported on first use: torch takes seconds to import, and the app's first frame must not wait."""

from __future__ import annotations

import importlib
from typing import Any


class Lazy:
    """A module imported on its first attribute access."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


torch: Any = Lazy("torch")
"""torch, imported when first used."""
nn: Any = Lazy("torch.nn")
"""torch.nn, imported when first used."""
F: Any = Lazy("torch.nn.functional")
"""torch.nn.functional, imported when first used."""

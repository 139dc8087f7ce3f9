"""Fixtures of the app tests: one torch thread, tiny generated images, a fixed code pane."""

from __future__ import annotations

import time

import pytest
import torch
from tui_helpers import tiny_image_data

torch.set_num_threads(1)


@pytest.fixture
def tiny_images(monkeypatch: pytest.MonkeyPatch):
    """Image lessons train on tiny random data instead of CIFAR-10 on disk."""
    data = tiny_image_data()
    monkeypatch.setattr("babytui.core.datasets.load_images", lambda dataset, root, device, **options: data.to(device))
    return data


@pytest.fixture
def fixed_code(monkeypatch: pytest.MonkeyPatch):
    """The lesson pane shows a fixed script, so snapshots do not follow the exporter's text."""
    monkeypatch.setattr(
        "babytui.tui.screens.main.render_code",
        lambda lesson, settings: f"import torch\n\n# lesson {lesson.number}, lr {settings.lr:g}\nprint(torch.tensor(settings.x))\n",
    )


@pytest.fixture
def training_loop(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Watch the core's training loop: 'started' and 'ended' (monotonic times) once they happen."""
    import babytui.core.train

    real = babytui.core.train.train
    seen: dict = {}

    def watched(*args, **kwargs):
        seen["started"] = time.monotonic()
        try:
            yield from real(*args, **kwargs)
        finally:
            seen["ended"] = time.monotonic()

    monkeypatch.setattr(babytui.core.train, "train", watched)
    return seen

"""Training health: gradient flow, dead ReLUs, saturated sigmoids, updates, and a diverged run's culprit."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

from babytui.core.errors import DivergedError
from babytui.core.events import HealthChecked
from babytui.core.health import HealthWatch
from babytui.core.lessons import get_lesson
from babytui.core.lessons.images import IMAGE_FIELDS, ImageLesson
from babytui.core.lessons.layers import Network
from babytui.core.settings import Settings
from babytui.core.train import train
from image_data import random_image_data


def checked(model: nn.Module, steps: int = 4, lr: float = 0.1, batch: int = 16, features: int = 20, classes: int = 5, every: int = 1,
            lr_share: float = 1.0) -> HealthChecked:
    """Train `model` on random data, checking every `every` updates and noting the rest; the last check."""
    g = torch.Generator().manual_seed(0)
    inputs, labels = torch.randn(batch, features, generator=g), torch.randint(0, classes, (batch,), generator=g)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    watch = HealthWatch(model, loss_fn, classes=classes)
    watch.lr_share = lr_share  # the share of the run's lr a schedule leaves in use
    for step in range(1, steps + 1):
        probe = watch.begin() if step % every == 0 else None
        optimizer.zero_grad()
        loss_fn(model(inputs), labels).backward()
        optimizer.step()
        if probe is not None:
            result = watch.end(probe, step)
        watch.note(step)
    return result


def deep(activation: type, depth: int = 6, width: int = 20, bias: float | None = None) -> nn.Sequential:
    """`depth` linear layers with `activation` between them (every bias set to `bias` if given)."""
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for i in range(depth):
        layers.append(nn.Linear(20 if i == 0 else width, width if i < depth - 1 else 5))
        if i < depth - 1:
            layers.append(activation())
    model = nn.Sequential(*layers)
    if bias is not None:
        with torch.no_grad():
            for layer in model:
                if isinstance(layer, nn.Linear):
                    layer.bias.fill_(bias)
    return model


def test_a_network_built_to_saturate_gets_the_vanishing_gradient_sentence() -> None:
    result = checked(deep(nn.Sigmoid, depth=4, bias=5.0))  # every sigmoid pushed to near 1
    assert all(a.saturated > 0.9 for a in result.activations)
    first = result.findings[0]
    assert first.startswith("0 gets ") and " times less gradient for its size than 6: the sigmoids in between are saturated" in first
    assert result.summary.startswith("0 gets ") and result.summary.endswith("the sigmoids in between are saturated")
    assert any("% of the outputs of 3 sit near its limits, where its slope is almost 0" in f for f in result.findings)
    assert not result.healthy


def test_plain_sigmoids_fade_the_gradient_a_quarter_at_a_time() -> None:
    result = checked(deep(nn.Sigmoid, depth=6))
    assert "less gradient for its size than 10: each of the 5 sigmoids in between passes back at most a quarter of it" in result.findings[0]


def test_a_healthy_network_gets_no_sentence() -> None:
    result = checked(deep(nn.ReLU, depth=3), every=2)
    assert result.findings == () and result.healthy
    assert result.summary.startswith("healthy at step 4")
    assert [layer.name for layer in result.layers] == ["0", "2", "4"]
    assert all(layer.gradient > 0 and layer.update is not None for layer in result.layers)
    assert len(result.flow) == 2 and len(result.flow[-1][1]) == 3  # the note after step 3, and this check


def test_tiny_updates_ask_for_a_larger_lr_unless_a_schedule_brought_it_down() -> None:
    slow = checked(deep(nn.ReLU, depth=3), lr=1e-7)
    assert any("a larger learning rate would speed this up" in f for f in slow.findings)
    tail = checked(deep(nn.ReLU, depth=3), lr=1e-7, lr_share=0.01)  # one-cycle's last steps: small on purpose
    assert not any("barely move" in f for f in tail.findings)


def test_dead_relus_are_counted_over_enough_images() -> None:
    model = deep(nn.ReLU, depth=3)
    with torch.no_grad():
        model[2].bias.fill_(-100.0)  # the second layer's units never fire
    result = checked(model, steps=4)  # 4 x 16 images: a full window
    dead = {a.name: a for a in result.activations}
    assert dead["3"].dead == 1.0 and dead["3"].samples == 64
    assert dead["1"].dead is not None and dead["1"].dead < 0.5
    assert any(f.startswith("100% of the units of 3 never fired on the last 64 training images") for f in result.findings)
    assert any("0 gets no gradient at all than 4" in f or "ReLUs in between" in f for f in result.findings)


def test_no_hooks_stay_attached_after_a_check() -> None:
    model = deep(nn.ReLU, depth=3)
    checked(model, steps=2)
    for module in model.modules():
        assert not module._forward_hooks and not module._forward_pre_hooks
    assert not torch._C._is_torch_function_mode_enabled()


def test_lesson_11_with_the_tutorials_sigmoid_on_the_output() -> None:
    lesson = get_lesson(11)
    events = list(train(lesson, lesson.settings({"epochs": "1", "device": "cpu", "hidden": "8"}), data=random_image_data(16, 8)))
    check = next(e for e in events if isinstance(e, HealthChecked))
    assert check.summary == "a sigmoid on the class scores caps every class at 23% (see the lesson's 'activation on output' setting)"
    assert check.news[0].startswith("the class scores pass through a sigmoid before the loss: squeezed into 0 to 1, no class can get more than 23% probability")
    raw = list(train(lesson, lesson.settings({"epochs": "1", "device": "cpu", "hidden": "8", "output_activation": "no"}), data=random_image_data(16, 8)))
    assert not any("sigmoid before the loss" in f for e in raw if isinstance(e, HealthChecked) for f in e.findings)


def test_the_tutorials_optimizer_slip_is_named() -> None:
    lesson = get_lesson(8)
    events = list(train(lesson, lesson.settings({"first_layer_only": "yes"})))
    news = [n for e in events if isinstance(e, HealthChecked) for n in e.news]
    assert "linear2 gets a gradient but its weights do not change: the optimizer was not given them (see the lesson's 'optimize first layer only' setting)" in news
    assert len([n for n in news if n.startswith("linear2 gets")]) == 1  # said once, not at every check


def test_a_relu_that_zeroes_every_class_score_stops_all_gradient() -> None:
    model = deep(nn.ReLU, depth=2)
    model.append(nn.ReLU())
    with torch.no_grad():
        model[2].bias.fill_(-100.0)
    result = checked(model, steps=1)
    assert result.findings[0].startswith("no gradient reaches any layer: the ReLU on the output turns every class score into 0, so the loss sits at ln 5 = 1.609")


class Straight(Network):
    """Two linear layers with nothing between them: at a large learning rate they blow up."""

    def __init__(self, hidden, num_classes=10):
        super().__init__()
        self.fc1 = nn.Linear(3072, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        return self.fc2(self.fc1(x.flatten(1)))


def test_a_diverged_run_names_the_layer_that_blew_up_first() -> None:
    lesson = ImageLesson(99, "Straight", "text", ("hidden",) + IMAGE_FIELDS, Settings().replace(hidden=32), model=Straight, model_settings=("hidden",))
    with pytest.raises(DivergedError) as caught:
        for _ in train(lesson, lesson.settings({"lr": "5", "epochs": "1", "device": "cpu"}), data=random_image_data(128, 16)):
            pass
    message = str(caught.value)
    assert re.search(r"training diverged; fc[12] blew up first: its gradient grew [\d,]+-fold by step \d+ \(", message)
    assert "try a smaller learning rate than 5" in message and caught.value.blame in message


def test_blame_is_silent_when_no_gradient_grew() -> None:
    model = deep(nn.ReLU, depth=2)
    watch = HealthWatch(model)
    for step in range(1, 6):
        watch.history.append((step, (1.0, 2.0)))
    assert watch.blame(5) == ""
    watch.history.append((6, (1.0, float("nan"))))
    assert watch.blame(6) == "2 blew up first: its gradient stopped being a number at step 6 (it had been about 2)"


def test_blame_names_the_first_layer_to_grow_not_the_biggest_at_the_end() -> None:
    watch = HealthWatch(deep(nn.ReLU, depth=2))
    for step, norms in enumerate([(1.0, 1.0), (1.0, 1.0), (1.0, 1.0), (2.0, 300.0), (1e6, 1e4), (float("inf"), float("inf"))], 1):
        watch.history.append((step, norms))
    assert watch.blame(6) == "2 blew up first: its gradient grew 300-fold by step 4 (1 to 300)"

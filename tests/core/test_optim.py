"""How a run steps: each optimizer as the settings name it, each schedule, and the plan the app draws."""

from __future__ import annotations

import math

import pytest
import torch

from babytui.core.errors import SettingsError
from babytui.core.lessons import get_lesson
from babytui.core.optim import build_optimizer, build_scheduler, planned_lrs, schedule_factor

torch.set_num_threads(1)
LESSON = get_lesson(17)


def toy_problem():
    """A linear layer fitting fixed targets: the same start every time."""
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    inputs = torch.randn(8, 3)
    targets = torch.randn(8, 2)
    return model, inputs, targets


def steps_with(make_optimizer, count: int = 5) -> list[torch.Tensor]:
    """The weights after `count` full-batch steps of the optimizer `make_optimizer(params)` makes."""
    model, inputs, targets = toy_problem()
    optimizer = make_optimizer(model.parameters())
    for _ in range(count):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(inputs), targets).backward()
        optimizer.step()
    return [p.detach().clone() for p in model.parameters()]


def by_hand(kind: str, lr: float, count: int = 5, momentum=0.0, betas=(0.9, 0.999), wd=0.0, eps=1e-8) -> list[torch.Tensor]:
    """The same steps from the update rules the lessons teach, written out."""
    model, inputs, targets = toy_problem()
    params = list(model.parameters())
    state = [dict(b=None, m=torch.zeros_like(p), v=torch.zeros_like(p)) for p in params]
    for t in range(1, count + 1):
        model.zero_grad()
        torch.nn.functional.mse_loss(model(inputs), targets).backward()
        with torch.no_grad():
            for p, st in zip(params, state):
                g = p.grad.clone()
                if kind in ("sgd", "momentum", "nesterov", "adam"):
                    g += wd * p  # L2 in the gradient
                if kind == "sgd":
                    p -= lr * g
                elif kind in ("momentum", "nesterov"):
                    st["b"] = g.clone() if st["b"] is None else momentum * st["b"] + g  # the velocity
                    p -= lr * (g + momentum * st["b"] if kind == "nesterov" else st["b"])
                else:
                    if kind == "adamw":
                        p *= 1 - lr * wd  # decay applied to the weights, not the gradient
                    st["m"] = betas[0] * st["m"] + (1 - betas[0]) * g
                    st["v"] = betas[1] * st["v"] + (1 - betas[1]) * g * g
                    m_hat = st["m"] / (1 - betas[0] ** t)
                    v_hat = st["v"] / (1 - betas[1] ** t)
                    p -= lr * m_hat / (v_hat.sqrt() + eps)
    return [p.detach().clone() for p in params]


CASES = [
    ("sgd", {"optimizer": "sgd", "momentum": "0", "lr": "0.1"}, lambda p: torch.optim.SGD(p, lr=0.1), dict(lr=0.1)),
    ("momentum", {"optimizer": "sgd", "momentum": "0.9", "lr": "0.05", "weight_decay": "0.01"},
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01), dict(lr=0.05, momentum=0.9, wd=0.01)),
    ("nesterov", {"optimizer": "sgd", "momentum": "0.8", "nesterov": "yes", "lr": "0.05"},
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True), dict(lr=0.05, momentum=0.8)),
    ("adam", {"optimizer": "adam", "lr": "0.01", "betas": "0.8, 0.99"},
     lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99)), dict(lr=0.01, betas=(0.8, 0.99))),
    ("adamw", {"optimizer": "adamw", "lr": "0.01", "weight_decay": "0.1"},
     lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1), dict(lr=0.01, wd=0.1)),
]


@pytest.mark.parametrize(("kind", "values", "reference", "rule"), CASES, ids=[c[0] for c in CASES])
def test_each_optimizer_steps_as_torch_optim_and_its_rule(kind, values, reference, rule) -> None:
    settings = LESSON.settings(values)
    ours = steps_with(lambda params: build_optimizer(params, settings))
    theirs = steps_with(reference)
    for a, b in zip(ours, theirs):
        assert torch.equal(a, b)  # the settings build exactly this torch.optim call
    for a, b in zip(ours, by_hand(kind, **rule)):
        assert torch.allclose(a, b, atol=1e-6)  # and it does what the lesson's text says a step does


def test_adamw_without_weight_decay_is_adam_and_with_it_is_not() -> None:
    adam = steps_with(lambda p: build_optimizer(p, LESSON.settings({"optimizer": "adam", "lr": "0.01"})))
    adamw = steps_with(lambda p: build_optimizer(p, LESSON.settings({"optimizer": "adamw", "lr": "0.01"})))
    decayed = steps_with(lambda p: build_optimizer(p, LESSON.settings({"optimizer": "adamw", "lr": "0.01", "weight_decay": "0.5"})))
    assert all(torch.allclose(a, b) for a, b in zip(adam, adamw))  # ours is 0, not torch's default 0.01
    assert not all(torch.allclose(a, b) for a, b in zip(adam, decayed))


def lrs_of(values: dict, total: int = 100, steps_per_epoch: int = 20) -> list[float]:
    """The lr of each of `total` batches under the settings' schedule (as the loop steps it)."""
    settings = LESSON.settings({"epochs": str(total // steps_per_epoch), **values})
    optimizer = build_optimizer([torch.zeros(1, requires_grad=True)], settings)
    scheduler = build_scheduler(optimizer, settings, total, steps_per_epoch)
    seen = []
    for _ in range(total):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    return seen


def test_each_schedule_moves_the_lr_as_named() -> None:
    constant = lrs_of({"schedule": "constant", "lr": "0.1"})
    assert constant == [0.1] * 100
    step = lrs_of({"schedule": "step", "lr": "0.1", "step_epochs": "2", "gamma": "0.5"})
    assert step[0] == step[39] == 0.1 and step[40] == pytest.approx(0.05) and step[80] == pytest.approx(0.025)
    cosine = lrs_of({"schedule": "cosine", "lr": "0.1"})
    assert cosine[0] == 0.1 and cosine[50] == pytest.approx(0.05, rel=1e-6) and cosine[-1] < 1e-3
    onecycle = lrs_of({"schedule": "onecycle", "lr": "0.1", "warmup": "0.3"})
    assert onecycle[0] == pytest.approx(0.1 / 25)
    assert max(onecycle) == pytest.approx(0.1) and onecycle.index(max(onecycle)) == 29
    assert onecycle[-1] < 0.1 / 25 / 1000


@pytest.mark.parametrize("schedule", ["constant", "step", "cosine", "onecycle"])
def test_the_plan_drawn_before_a_run_follows_the_schedule_it_uses(schedule: str) -> None:
    values = {"schedule": schedule, "lr": "0.1", "step_epochs": "2", "gamma": "0.5"}
    used = lrs_of(values, total=500, steps_per_epoch=100)
    settings = LESSON.settings({"epochs": "5", **values})
    for i in range(0, 500, 7):
        assert 0.1 * schedule_factor(settings, i / 500) == pytest.approx(used[i], abs=0.002)
    epochs, lrs = planned_lrs(settings, points=11)
    assert epochs[0] == 0 and epochs[-1] == 5 and len(lrs) == 11


def test_a_warmup_too_short_for_the_run_says_so() -> None:
    settings = LESSON.settings({"schedule": "onecycle", "warmup": "0.05"})
    optimizer = build_optimizer([torch.zeros(1, requires_grad=True)], settings)
    with pytest.raises(SettingsError, match="warm-up"):
        build_scheduler(optimizer, settings, 20, 10)


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"optimizer": "rmsprop"}, "optimizer", "not one of sgd, adam, adamw"),
        ({"momentum": "1"}, "momentum", "below 1"),
        ({"nesterov": "yes", "momentum": "0"}, "nesterov", "needs a momentum above 0"),
        ({"betas": "0.9"}, "betas", "exactly 2 numbers"),
        ({"schedule": "linear"}, "schedule", "not one of constant, step, cosine, onecycle"),
        ({"warmup": "1"}, "warmup", "below 1"),
        ({"range_min_lr": "1", "range_max_lr": "0.5"}, "range_max_lr", "above range min lr"),
    ],
)
def test_bad_optimizer_and_schedule_settings_name_the_field(values: dict, field: str, words: str) -> None:
    with pytest.raises(SettingsError) as info:
        LESSON.settings(values)
    assert info.value.field == field and words in info.value.reason


def test_lessons_10_to_14_still_step_with_plain_sgd() -> None:
    settings = get_lesson(14).defaults
    optimizer = build_optimizer([torch.zeros(1, requires_grad=True)], settings)
    assert type(optimizer) is torch.optim.SGD and optimizer.defaults["momentum"] == 0
    assert build_scheduler(optimizer, settings, 10, 10) is None
    assert math.isclose(optimizer.param_groups[0]["lr"], 0.01)

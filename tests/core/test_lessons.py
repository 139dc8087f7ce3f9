"""The small lessons (1-9) print what a notebook would and learn what they should."""

from __future__ import annotations

import math

import pytest
import torch

from babytui.core.events import Finished, Note, RunStarted, StepLogged, WeightsSnapshot
from babytui.core.lessons import LESSONS, get_lesson
from babytui.core.lessons.l10_images import MLP
from babytui.core.lessons.l11_convolution import ConvNet
from babytui.core.lessons.l12_pooling import PoolNet
from babytui.core.lessons.l13_relu_deeper_gpu import DeepConvNet
from babytui.core.train import train


def run(number: int, **values):
    lesson = get_lesson(number)
    return list(train(lesson, lesson.settings(values)))


def notes(events) -> dict[str, str]:
    return {e.heading: e.text for e in events if isinstance(e, Note)}


def test_lesson_1_indexes_tensors() -> None:
    shown = notes(run(1, x="1, 2, 3, 4"))
    assert shown["x2[:, 2]"].startswith("[3., 7.]")
    assert shown["x3[0, :, 0]"].startswith("[1., 5.]")
    assert shown["y = x1  (the model y = x)"].startswith("[1., 2., 3., 4.]")


def test_lesson_4_gradient_is_none_then_four_numbers() -> None:
    events = run(4)
    shown = notes(events)
    assert shown["x.grad before backward()"] == "None"
    assert shown["x.grad after backward()"].endswith("shape (4,)")  # four numbers, one per input


def test_lesson_5_overshoots_and_shows_before_and_after() -> None:
    events = run(5)
    snaps = [e for e in events if isinstance(e, WeightsSnapshot)]
    assert [s.tag for s in snaps] == ["before", "after"]
    before, after = snaps
    # plain SGD: after = before - lr * grad, for every parameter
    for name in before.params:
        expected = before.params[name] - 0.1 * after.grads[name]
        assert torch.allclose(after.params[name], expected, atol=1e-6)
    done = events[-1]
    assert isinstance(done, Finished) and done.steps == 1
    # the output jumps past the target 0: it changes sign and lands further away
    first_output = float(notes(events)["output (before any update)"].strip("[]").split("]")[0])
    assert first_output * done.outputs[0] < 0
    assert abs(done.outputs[0]) > abs(first_output)


def test_lesson_6_creeps_toward_the_target() -> None:
    events = run(6)
    outputs = [float(e.text.split("]")[0].strip("[")) for e in events if isinstance(e, Note) and e.heading.startswith("output (epoch")]
    assert len(outputs) == 3
    assert all(abs(b) < abs(a) for a, b in zip(outputs, outputs[1:]))


def test_lesson_7_fits_exactly_with_a_larger_lr() -> None:
    done = run(7, lr="0.1", epochs="2000")[-1]
    assert done.final_loss < 0.01
    assert [round(v) for v in done.outputs] == [0, 1, 1, 0]


def test_lesson_8_learns_with_every_layer_and_stalls_with_the_tutorials_slip() -> None:
    good = run(8, lr="1", epochs="5000")[-1]
    assert good.final_loss < 0.01
    assert [round(v) for v in good.outputs] == [0, 1, 1, 0]
    slip = run(8, lr="1", epochs="5000", first_layer_only="yes")[-1]
    assert slip.final_loss > 0.1


def test_lesson_9_is_lesson_8_as_a_class() -> None:
    assert run(9, epochs="20")[-1].final_loss == run(8, epochs="20")[-1].final_loss


def test_same_seed_same_result_other_seed_other_result() -> None:
    a, b, c = (run(8, epochs="10", seed=s)[-1].final_loss for s in ("3", "3", "4"))
    assert a == b != c


def test_max_steps_cuts_the_run() -> None:
    events = run(7, epochs="100", max_steps="5")
    done = events[-1]
    assert done.steps == 5 and done.epochs_done == 2
    started = next(e for e in events if isinstance(e, RunStarted))
    assert started.total_steps == 5


def test_every_loss_of_every_step_is_logged() -> None:
    events = run(7, epochs="3")
    losses = [v for e in events if isinstance(e, StepLogged) for v in e.losses]
    assert len(losses) == 6 and all(math.isfinite(v) for v in losses)


@pytest.mark.parametrize(
    ("model", "parameters"),
    [
        (MLP(25, "sigmoid", True), 3072 * 25 + 25 + 25 * 10 + 10),
        (ConvNet(6, 120, "sigmoid", True), 6 * 3 * 25 + 6 + 4704 * 120 + 120 + 1210),
        (PoolNet(6, 120, "sigmoid", True), 6 * 3 * 25 + 6 + 1176 * 120 + 120 + 1210),
        (DeepConvNet(10, 20, 120, "relu", True), 760 + 10 * 20 * 25 + 20 + 500 * 120 + 120 + 1210),
    ],
)
def test_image_models_have_the_tutorials_shapes(model, parameters: int) -> None:
    assert sum(p.numel() for p in model.parameters()) == parameters
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_every_lesson_has_its_own_words() -> None:
    for lesson in LESSONS:
        assert len(lesson.text) > 200, lesson.number
    assert "broadcast" in get_lesson(7).text  # the tutorial's shape slip, taught right
    assert "first layer" in get_lesson(8).text
    assert "logits" in get_lesson(10).text


def test_lesson_7_with_the_tutorials_shapes_averages_a_grid_and_settles_at_one_half() -> None:
    events = run(7, flat_targets="yes", lr="0.1", epochs="300")
    [note] = [e for e in events if isinstance(e, Note) and e.heading.startswith("the loss of update 1")]
    assert "outputs (2, 1) against targets (2,)" in note.heading and "shape (2, 2)" in note.text
    grid = torch.tensor([[float(v) for v in row.strip(" [],").split(",")] for row in note.text.split("shape")[0].splitlines()])
    first = next(e for e in events if isinstance(e, StepLogged)).losses[0]
    assert grid.shape == (2, 2) and grid.mean().item() == pytest.approx(first, abs=1e-4)  # the loss is the grid's mean
    done = events[-1]  # every output pulled toward every target of its batch: all at 0.5
    assert done.final_loss == pytest.approx(0.25, abs=1e-4)
    assert all(v == pytest.approx(0.5, abs=1e-3) for v in done.outputs)
    matched = run(7, lr="0.1", epochs="300")
    assert not any(isinstance(e, Note) and e.heading.startswith("the loss of update 1") for e in matched)
    assert matched[-1].final_loss < done.final_loss


def test_tensors_of_two_and_three_dimensions_print_with_their_rows_aligned() -> None:
    shown = notes(run(1, x="1, 2, 3, 4"))
    two = shown["x2 = torch.stack([x1, x1 + n])"].splitlines()
    assert two == ["[[1., 2., 3., 4.],", " [5., 6., 7., 8.]]   shape (2, 4)"]
    three = shown["x3 = torch.stack([x2, x2 + 2 * n])"].splitlines()
    assert three[1].startswith("  [ 5.") and three[3].startswith(" [[ 9.") and three[4].startswith("  [13.")

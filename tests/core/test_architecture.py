"""The architecture card: shapes, parameters with their arithmetic and multiply-adds, from the real model."""

from __future__ import annotations

import json

import torch
from torch import nn

from babytui.cli import main
from babytui.core.architecture import card_of, lesson_card
from babytui.core.lessons import get_lesson
from babytui.core.lessons.images import IMAGE_FIELDS, ImageLesson
from babytui.core.lessons.layers import Network
from babytui.core.settings import Settings


def rows(card) -> dict:
    return {row.name: row for row in card.rows}


def test_lesson_14_card() -> None:
    card = lesson_card(get_lesson(14), get_lesson(14).settings())
    assert card.input == (3, 32, 32)
    assert [row.name for row in card.rows] == [
        "conv1", "relu(conv1)", "pool", "conv2", "relu(conv2)", "pool #2", "flatten", "fc1", "relu(fc1)", "fc2", "relu(fc2)",
    ]
    by_name = rows(card)
    assert [by_name[n].output for n in ("conv1", "pool", "conv2", "pool #2", "flatten", "fc1", "fc2")] == [
        (10, 28, 28), (10, 14, 14), (20, 10, 10), (20, 5, 5), (500,), (120,), (10,),
    ]
    assert by_name["conv1"].arithmetic == "10x3x5x5 + 10 = 760"
    assert by_name["conv2"].arithmetic == "20x10x5x5 + 20 = 5,020"
    assert by_name["fc1"].arithmetic == "120x500 + 120 = 60,120"
    assert by_name["fc2"].arithmetic == "10x120 + 10 = 1,210"
    assert card.parameters == 67_110 == sum(row.parameters for row in card.rows)
    # every output number of a layer is a sum over its inputs: 10*28*28 outputs of 3*5*5 products each
    assert by_name["conv1"].multiply_adds == 10 * 28 * 28 * 3 * 5 * 5 == 588_000
    assert by_name["conv2"].multiply_adds == 20 * 10 * 10 * 10 * 5 * 5
    assert by_name["fc1"].multiply_adds == 60_000 and by_name["fc2"].multiply_adds == 1_200
    assert card.multiply_adds == 588_000 + 500_000 + 60_000 + 1_200
    assert by_name["pool #2"].parameters == 0 and by_name["pool #2"].does.endswith("again")


def test_lesson_8_card() -> None:
    lesson = get_lesson(8)
    card = lesson_card(lesson, lesson.settings())
    assert card.input == (4,)
    assert [(r.name, r.output, r.arithmetic, r.multiply_adds) for r in card.rows] == [
        ("linear1", (2,), "2x4 + 2 = 10", 8),
        ("act1", (2,), "", 0),
        ("linear2", (1,), "1x2 + 1 = 3", 2),
        ("act2", (1,), "", 0),
    ]
    assert card.parameters == 13 and card.multiply_adds == 10
    # no activation on the output: its Identity is no stage of its own
    plain = lesson_card(lesson, lesson.settings({"output_activation": "no", "hidden": "3"}))
    assert [r.name for r in plain.rows] == ["linear1", "act1", "linear2"] and plain.parameters == 19


def test_the_card_follows_the_settings_and_draws_no_random_numbers() -> None:
    lesson = get_lesson(14)
    torch.manual_seed(3)
    state = torch.get_rng_state()
    card = lesson_card(lesson, lesson.settings({"conv1_channels": "16"}))
    assert torch.equal(state, torch.get_rng_state())  # a run training in another thread keeps its random stream
    assert rows(card)["conv1"].arithmetic == "16x3x5x5 + 16 = 1,216"
    assert lesson_card(get_lesson(1), get_lesson(1).settings()) is None


class LaterNet(Network):
    """A network of the kind later lessons add: batch norm, dropout, a module used twice."""

    def __init__(self, width, num_classes=10):
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3, padding=1)
        self.bn = nn.BatchNorm2d(width)
        self.pool = nn.MaxPool2d(2)
        self.drop = nn.Dropout(0.25)
        self.head = nn.Linear(width * 8 * 8, num_classes)
        self.unused = nn.Parameter(torch.zeros(7))

    def forward(self, x):
        x = self.pool(torch.relu(self.bn(self.conv(x))))  # (B, width, 16, 16)
        x = self.pool(x)  # (B, width, 8, 8)
        return self.head(self.drop(x.flatten(1)))


def test_a_network_added_later_gets_its_card_from_module_types() -> None:
    lesson = ImageLesson(99, "Later", "text", IMAGE_FIELDS, Settings(), model=lambda num_classes: LaterNet(4, num_classes))
    card = lesson_card(lesson, lesson.settings())
    by_name = rows(card)
    assert by_name["conv"].does == "Conv2d(3, 4, 3, padding=1)" and by_name["conv"].output == (4, 32, 32)
    assert by_name["conv"].multiply_adds == 4 * 32 * 32 * 3 * 3 * 3
    assert by_name["bn"].arithmetic == "4 + 4 = 8" and by_name["bn"].kind == "norm"
    assert by_name["relu(bn)"].kind == "activation"
    assert by_name["pool #2"].output == (4, 8, 8)
    assert by_name["drop"].kind == "dropout"
    assert by_name["(other)"].parameters == 7  # a parameter no layer used is still counted
    model = LaterNet(4)
    assert card.parameters == sum(p.numel() for p in model.parameters())


def test_card_of_a_model_that_is_one_layer() -> None:
    card = card_of(nn.Linear(5, 3), (5,))
    assert [(r.name, r.arithmetic, r.multiply_adds) for r in card.rows] == [("linear", "3x5 + 3 = 18", 15)]


def test_cli_prints_the_card(capsys) -> None:
    assert main(["lessons", "14"]) == 0
    out = capsys.readouterr().out
    assert "10x3x5x5 + 10 = 760" in out and "67,110" in out and "1,149,200" in out
    assert main(["lessons", "14", "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["parameters"] == 67_110 and card["layers"][0]["output"] == [10, 28, 28]
    assert main(["lessons", "8", "--hidden", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["parameters"] == 19
    assert main(["lessons", "1"]) == 0
    assert "no model" in capsys.readouterr().out


def test_cli_card_of_a_bad_setting_is_one_line(capsys) -> None:
    assert main(["lessons", "2", "--hidden", "3"]) == 2
    assert "--hidden: does not apply to this lesson" in capsys.readouterr().err

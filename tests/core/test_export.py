"""Exported scripts run on their own and end where `babytui train` ends."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from babytui.core.export import render_script
from babytui.core.lessons import LESSONS, get_lesson
from babytui.core.train import train


def run_script(tmp_path: Path, lesson_number: int, values: dict, *args: str) -> str:
    lesson = get_lesson(lesson_number)
    path = tmp_path / f"lesson{lesson_number}.py"
    path.write_text(render_script(lesson, lesson.settings(values)))
    done = subprocess.run(
        [sys.executable, str(path), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def final_loss(output: str) -> float:
    return float(re.search(r"^final loss: (\S+)$", output, re.M).group(1))


@pytest.mark.parametrize(
    ("number", "values"), [(5, {}), (7, {"flat_targets": "yes", "epochs": "50"}), (8, {"epochs": "200", "lr": "1"})]
)
def test_small_lessons_end_with_the_same_loss(tmp_path: Path, number: int, values: dict) -> None:
    output = run_script(tmp_path, number, values)
    lesson = get_lesson(number)
    ours = list(train(lesson, lesson.settings(values)))[-1].final_loss
    assert final_loss(output) == pytest.approx(ours, rel=1e-6)
    assert re.search(r"(step|update) 1 loss \d", output)  # it prints its loss as it goes


def test_an_image_lesson_ends_with_the_same_loss_and_accuracy(tmp_path: Path, tiny_cifar: Path) -> None:
    values = {"epochs": "2", "hidden": "8", "data_root": str(tiny_cifar), "device": "cpu"}
    lesson = get_lesson(14)
    if "trust_data" in lesson.fields:
        values["trust_data"] = "yes"
    output = run_script(tmp_path, 14, values)
    ours = list(train(lesson, lesson.settings(values)))[-1]
    assert final_loss(output) == pytest.approx(ours.final_loss, rel=1e-6)
    accuracy = float(re.search(r"^test accuracy: (\S+)%$", output, re.M).group(1))
    assert accuracy == pytest.approx(ours.test_accuracy, abs=0.01)
    assert "epoch 1: train loss" in output and "epoch 2: train loss" in output


@pytest.mark.parametrize(
    ("number", "values"),
    [
        (15, {"epochs": "4", "patience": "1"}),
        (16, {"optimizer": "adamw", "lr": "0.003", "weight_decay": "0.05"}),
        (16, {"momentum": "0.8", "nesterov": "yes", "weight_decay": "0.001"}),
        (17, {"schedule": "onecycle", "lr": "0.1"}),
        (17, {"schedule": "step", "step_epochs": "1", "gamma": "0.5", "optimizer": "adam", "lr": "0.002"}),
        (18, {"activation": "relu", "init": "kaiming", "depth": "3"}),
        (18, {"activation": "tanh", "init": "xavier", "depth": "2"}),
        (18, {"init": "normal", "init_std": "0.05", "depth": "2"}),
        (19, {}),
        (19, {"batch_norm": "no", "lr": "0.01"}),
        (20, {"crop_pad": "2", "flip": "yes", "label_smoothing": "0.1", "dropout": "0.3", "weight_decay": "0.001"}),
        (20, {"crop_pad": "0", "flip": "yes", "dropout": "0", "weight_decay": "0", "validation_size": "0"}),
        # lesson 21 as it comes (crop, flip, label smoothing, channels-last order, test-time flip), and all of those off
        (21, {"width": "4"}),
        (21, {"width": "4", "crop_pad": "0", "flip": "no", "label_smoothing": "0", "channels_last": "no", "tta": "no"}),
    ],
    ids=["l15-patience", "l16-adamw", "l16-nesterov", "l17-onecycle", "l17-step-adam",
         "l18-relu-kaiming", "l18-tanh-xavier", "l18-normal", "l19-batch-norm", "l19-plain", "l20-all", "l20-flip-only",
         "l21-defaults", "l21-plain"],
)
def test_the_later_lessons_scripts_end_where_babytui_train_ends(tmp_path: Path, tiny_cifar: Path, number: int, values: dict) -> None:
    # validation, early stopping, each optimizer and schedule: the script makes the same choices
    lesson = get_lesson(number)
    common = {"epochs": "2", "hidden": "8", "batch_size": "4", "validation_size": "8", "data_root": str(tiny_cifar),
              "device": "cpu", "trust_data": "yes"}
    values = {**{k: v for k, v in common.items() if k in lesson.fields}, **values}  # (lessons 18, 19 and 21 lack some of them)
    output = run_script(tmp_path, number, values)
    events = list(train(lesson, lesson.settings(values)))
    ours = events[-1]
    assert final_loss(output) == pytest.approx(ours.final_loss, rel=1e-6)
    accuracy = float(re.search(r"^test accuracy: (\S+)%$", output, re.M).group(1))
    assert accuracy == pytest.approx(ours.test_accuracy, abs=0.01)
    scored = [e for e in events if type(e).__name__ == "EpochEnded"]
    assert len(re.findall(r"^epoch \d+: train loss", output, re.M)) == len(scored)
    assert ("stopping early" in output) == ours.early_stopped
    if ours.best_epoch is not None:
        assert f"restored epoch {ours.best_epoch}:" in output
    else:
        assert "restored epoch" not in output


def test_max_steps_flag_of_an_exported_image_script(tmp_path: Path, tiny_cifar: Path) -> None:
    values = {"data_root": str(tiny_cifar), "device": "cpu"}
    if "trust_data" in get_lesson(10).fields:
        values["trust_data"] = "yes"
    output = run_script(tmp_path, 10, values, "--max-steps", "3")
    assert "epoch 1: train loss" in output and "epoch 2" not in output


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: f"lesson{lesson.number}")
def test_every_script_is_valid_python_that_names_its_lesson(lesson) -> None:
    script = render_script(lesson, lesson.defaults)
    compile(script, f"lesson{lesson.number}.py", "exec")
    assert f"babytui lesson {lesson.number}: {lesson.title}" in script
    assert "Variable" not in script and ".next()" not in script


def test_the_code_follows_the_settings() -> None:
    lesson = get_lesson(14)
    script = render_script(lesson, lesson.settings({"conv1_channels": "16", "output_activation": "no", "lr": "0.05"}))
    assert "conv1_channels=16" in script and "lr=0.05" in script and "output_activation=False" in script
    assert "class DeepConvNet(nn.Module):" in script and "raw scores" in script


def test_lesson_7s_script_follows_the_broadcast_switch() -> None:
    lesson = get_lesson(7)
    slip = render_script(lesson, lesson.settings({"flat_targets": "yes"}))
    matched = render_script(lesson, lesson.settings())
    assert ".squeeze(1))  # the tutorial's slip: (B, 1) against (B,) broadcasts to (B, B)" in slip
    assert "targets[start:start + BATCH_SIZE].squeeze(1)" not in matched and "broadcasts" not in matched


def test_an_image_script_without_its_data_says_so_in_one_line(tmp_path: Path) -> None:
    lesson = get_lesson(14)
    path = tmp_path / "lesson14.py"
    path.write_text(render_script(lesson, lesson.settings()))
    done = subprocess.run(
        [sys.executable, str(path), "--data-root", str(tmp_path / "nowhere")],
        capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        f"cannot read the dataset from {tmp_path / 'nowhere'}: No such file or directory "
        f"({tmp_path / 'nowhere' / 'data_batch_1'}); give its folder with --data-root DIR"
    )

"""`babytui train`, `lessons` and `export` as a user types them."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from babytui.cli import main


def test_lessons_lists_every_lesson(capsys) -> None:
    from babytui.core.lessons import LESSONS

    assert main(["lessons"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(LESSONS)
    assert len({line.index(" conv1_channels") for line in lines if " conv1_channels" in line}) == 1  # one column
    assert lines[7].split()[:4] == ["8", "A", "neural", "network"]


def test_train_json_for_lesson_8(capsys) -> None:
    assert main(["train", "--lesson", "8", "--epochs", "5000", "--lr", "1", "--json"]) == 0
    out = capsys.readouterr().out
    result = json.loads(out)  # stdout holds one JSON object and nothing else
    assert result["lesson"] == 8 and result["device"] == "cpu" and result["steps"] == 5000
    assert result["final_loss"] < 0.01
    assert [round(v) for v in result["outputs"]] == [0, 1, 1, 0]
    for key in ("seconds", "images_per_second"):
        assert result[key] > 0


def test_train_image_lesson_json(capsys, tiny_cifar: Path) -> None:
    args = ["train", "--lesson", "12", "--hidden", "8", "--data-root", str(tiny_cifar), "--max-steps", "6", "--json"]
    if "trust_data" in __import__("babytui.core.lessons", fromlist=["x"]).get_lesson(12).fields:
        args.append("--trust-data")
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["steps"] == 6 and 0 <= result["test_accuracy"] <= 100


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lesson", "99"], "there is no lesson 99"),
        (["--lesson", "8", "--lr", "abc"], "--lr: 'abc' is not a number"),
        (["--lesson", "8", "--lr", "-1"], "--lr: must be greater than 0"),
        (["--lesson", "8", "--batch-size", "0"], "--batch-size: must be at least 1"),
        (["--lesson", "8", "--epochs", "0"], "--epochs: must be at least 1"),
        (["--lesson", "8", "--activation", "swish"], "--activation: 'swish' is not one of"),
        (["--lesson", "2", "--hidden", "3"], "--hidden: does not apply to this lesson"),
        (["--lesson", "8", "--no-such-flag"], "unrecognized arguments"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, args, message) -> None:
    with pytest.raises(SystemExit) if "--no-such-flag" in args else contextlib.nullcontext():
        code = main(["train", *args])
        assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cuda_where_there_is_none(capsys, monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["train", "--lesson", "14", "--device", "cuda"]) == 1
    err = capsys.readouterr().err
    assert "no CUDA GPU" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("root", ["missing", "empty"])
def test_data_root_without_cifar10(capsys, tmp_path: Path, root: str) -> None:
    path = tmp_path / root
    if root == "empty":
        path.mkdir()
    assert main(["train", "--lesson", "10", "--device", "cpu", "--data-root", str(path)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and len(err.strip().splitlines()) == 1


def test_diverging_loss_exits_with_the_step(capsys) -> None:
    assert main(["train", "--lesson", "7", "--lr", "10", "--epochs", "200"]) == 1
    err = capsys.readouterr().err
    assert "at step" in err and "smaller learning rate" in err


def test_export_writes_a_file_and_never_overwrites(tmp_path: Path, capsys) -> None:
    target = tmp_path / "lesson8.py"
    assert main(["export", "--lesson", "8", "--hidden", "3", "-o", str(target)]) == 0
    assert "hidden=3" in target.read_text()
    target.write_text("mine")
    assert main(["export", "--lesson", "8", "-o", str(target)]) == 1
    assert target.read_text() == "mine"
    assert "already exists" in capsys.readouterr().err


def test_the_console_script_shows_no_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "babytui", "train", "--lesson", "8", "--lr", "abc"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr == "babytui: error: --lr: 'abc' is not a number\n"



def test_help_says_bare_babytui_opens_the_app_and_version_says_which(capsys) -> None:
    from babytui import __version__

    with pytest.raises(SystemExit) as done:
        main(["--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and "`babytui` alone opens the app" in out and "--colors" in out
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out == f"babytui {__version__}\n"


def test_json_names_the_saved_run(capsys) -> None:
    from babytui.core.runs import RunStore

    assert main(["train", "--lesson", "6", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    [run] = RunStore().summaries()
    assert result["run"] == run.id
    assert main(["train", "--lesson", "6", "--json", "--no-save"]) == 0
    assert json.loads(capsys.readouterr().out)["run"] is None


@pytest.mark.parametrize("make, message", [("file", "is a file, not a folder"), ("folder", "does not exist")])
def test_a_data_root_that_cannot_serve_is_a_bad_setting(capsys, tmp_path: Path, make: str, message: str) -> None:
    root = tmp_path / "root"
    if make == "file":
        root.write_text("x")
    args = ["train", "--lesson", "10", "--data-root", str(root)] + (["--dataset", "folder"] if make == "folder" else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("babytui: error: --data-root: ") and message in err and len(err.strip().splitlines()) == 1


def test_data_suggests_only_what_train_accepts(capsys, tiny_cifar: Path) -> None:
    assert main(["data", "--data-root", str(tiny_cifar)]) == 0
    out = capsys.readouterr().out
    assert "differs from the official files" in out and "`babytui train --trust-data`" in out
    args = ["train", "--lesson", "10", "--data-root", str(tiny_cifar), "--trust-data", "--max-steps", "1", "--json"]
    assert main(args) == 0


def test_a_run_of_one_update_says_one(capsys) -> None:
    assert main(["train", "--lesson", "5"]) == 0
    assert "lesson 5, 1 step, " in capsys.readouterr().out

"""Resuming safely: from the start when killed before a first checkpoint, never onto other data."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from PIL import Image

from babytui.cli import main
from babytui.core import train as train_module
from babytui.core.errors import BabytuiError, RunError
from babytui.core.lessons import get_lesson
from babytui.core.runs import RunStore
from babytui.core.session import Session, failure_message
from image_data import random_image_data

torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[2]


def train_args(root: Path, *extra: str) -> list[str]:
    """Lesson 12 for 3 epochs of 10 updates on the tiny CIFAR-10 at `root`."""
    return ["train", "--lesson", "12", "--hidden", "8", "--epochs", "3", "--device", "cpu",
            "--data-root", str(root), "--trust-data", "--json", *extra]


def killed_at(step: int, args: list[str]):
    """A `babytui train` process killed with SIGKILL once update `step` is on disk; its run."""
    env = dict(os.environ, BABYTUI_HOLD_AT_STEP=str(step), OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    before = {r.id for r in RunStore().runs()}
    proc = subprocess.Popen([sys.executable, "-m", "babytui", *args], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while True:
            runs = [r for r in RunStore().runs() if r.id not in before]
            if runs and step in {s for s, _ in runs[0].metrics().losses}:
                return runs[0]
            assert proc.poll() is None and time.monotonic() < deadline, "the run never got there"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def test_a_run_killed_before_its_first_checkpoint_resumes_from_its_start(tiny_cifar: Path, capsys) -> None:
    assert main(train_args(tiny_cifar)) == 0
    full = json.loads(capsys.readouterr().out)
    run = killed_at(3, train_args(tiny_cifar))
    assert not run.has_checkpoint()
    row = run.summary()
    assert row.status == "crashed" and row.resumable and row.steps == 3
    assert main(["train", "--resume", run.id, "--json"]) == 0
    out, err = capsys.readouterr()
    assert f"resuming run {run.id} from step 0" in err
    resumed = json.loads(out)
    assert (resumed["final_loss"], resumed["test_accuracy"], resumed["steps"]) == (full["final_loss"], full["test_accuracy"], 30)
    assert [s for s, _ in run.metrics().losses] == list(range(1, 31)) and run.summary().status == "finished"


def _folder(root: Path, classes: tuple[str, ...], per_class: int) -> Path:
    for c, name in enumerate(classes):
        for i in range(per_class):
            (root / name).mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (32, 32), (60 * c, 20 * i, 90)).save(root / name / f"{i}.png")
    return root


@pytest.mark.parametrize("change", ["fewer-images", "more-classes"])
def test_resuming_onto_other_data_is_refused_and_says_how_it_differs(tmp_path: Path, capsys, change) -> None:
    root = _folder(tmp_path / "pets", ("cat", "dog"), 10)
    args = ["train", "--lesson", "12", "--hidden", "8", "--epochs", "3", "--batch-size", "2", "--device", "cpu",
            "--dataset", "folder", "--data-root", str(root)]
    run = killed_at(5, args)
    if change == "fewer-images":
        for i in range(4):
            (root / "dog" / f"{i}.png").unlink()
        expected = "the data now is folder: 13 training and 3 test images of 2 classes"
    else:
        _folder(root, ("cow",), 10)
        expected = "of 3 classes (cat, cow, dog)"
    assert main(["train", "--resume", run.id]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot go on with other data" in err[0] and expected in err[0], err
    assert "it was trained on folder: 16 training and 4 test images of 2 classes (cat, dog)" in err[0]
    assert "Error(s) in loading state_dict" not in err[0]


def test_a_run_that_never_recorded_its_data_warns(tmp_path: Path) -> None:
    lesson = get_lesson(12)
    settings = lesson.settings({"epochs": 1, "hidden": 8, "device": "cpu", "max_steps": 3})
    session = Session(lesson, settings, data=random_image_data(40, 16))
    list(session.events())
    (run,) = RunStore().runs()
    path = run.path / "metrics.jsonl"  # as an older babytui wrote it: no data in its start; and cut off before its end
    records = [json.loads(line) for line in path.read_text().splitlines()]
    path.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "data"}) + "\n" for r in records if r["type"] != "final"))
    resumed = Session.resuming(run.id, data=random_image_data(40, 16))
    warned = [e.message for e in resumed.events() if type(e).__name__ == "Warned"]
    assert any("did not record its data" in w for w in warned)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (RuntimeError("[enforce fail at alloc_cpu.cpp:118] data. DefaultCPUAllocator: not enough memory: you tried to allocate 805306368 bytes."),
         "the computer ran out of memory while training (device cpu, batch size 65536): try a smaller batch size than 65536"),
        (MemoryError(), "the computer ran out of memory"),
        (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 7.79 GiB total capacity)"),
         "the GPU ran out of memory while training"),
    ],
    ids=["cpu-allocator", "memory-error", "cuda"],
)
def test_every_out_of_memory_is_one_friendly_line(monkeypatch, capsys, error, expected) -> None:
    lesson = get_lesson(12)

    def exhausted(*args, **kwargs):
        raise error

    monkeypatch.setattr(train_module, "normalize", exhausted)
    settings = lesson.settings({"batch_size": 65536, "device": "cpu", "hidden": 8})
    with pytest.raises(BabytuiError) as failed:
        list(Session(lesson, settings, data=random_image_data(40, 16)).events())
    assert expected in str(failed.value) and "\n" not in str(failed.value)
    assert "enforce fail" not in str(failed.value) and "Tried to allocate" not in str(failed.value)
    (row,) = RunStore().summaries()
    assert "ran out of memory" in row.problem
    message = failure_message(RuntimeError("MPS backend out of memory"), settings, "loading the data")
    assert message.startswith("the GPU ran out of memory while loading the data")


def test_checkpoints_come_every_interval_unless_saving_is_slow(monkeypatch) -> None:
    pace = train_module.Pace()
    clock = {"now": 1000.0}
    monkeypatch.setattr(train_module.time, "perf_counter", lambda: clock["now"])
    pace.last_checkpoint = 1000.0
    clock["now"] += train_module.CHECKPOINT_INTERVAL - 0.1
    assert not pace.checkpoint_due()
    clock["now"] += 0.2
    assert pace.checkpoint_due()
    pace.checkpoint_cost = 1.0  # a slow disk: a checkpoint takes a second, so one every 100 s at most
    assert not pace.checkpoint_due()
    clock["now"] = pace.last_checkpoint + 1.0 / train_module.CHECKPOINT_SHARE
    assert pace.checkpoint_due()
    assert train_module.CHECKPOINT_INTERVAL <= 10.0  # a SIGKILL loses at most seconds of training


def test_resuming_a_run_that_finished_is_refused(tiny_cifar: Path, capsys) -> None:
    assert main(train_args(tiny_cifar, "--max-steps", "4")) == 0
    (run,) = RunStore().runs()
    capsys.readouterr()
    with pytest.raises(RunError, match="nothing left to resume"):
        RunStore().resumable(run.id)

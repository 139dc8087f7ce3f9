"""The run store against damage and tricks: one bad run never hides the others, no write leaves the home."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from babytui.cli import main
from babytui.core.errors import RunError
from babytui.core.formatting import printable
from babytui.core.lessons import get_lesson
from babytui.core.runs import Recorder, RunStore
from babytui.core.runs.lock import RunLock
from babytui.core.train import Control, train
from image_data import random_image_data

torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[2]
LESSON = get_lesson(12)
SETTINGS = LESSON.settings({"epochs": 2, "hidden": 8, "device": "cpu"})


def stopped_run(step: int = 5, store: RunStore | None = None):
    """A run of lesson 12 stopped after `step` updates (10 an epoch), saved with its checkpoint."""
    recorder = Recorder.new(LESSON, SETTINGS, store or RunStore(), data=random_image_data(40, 16).identity())
    control = Control()
    control.step(step)
    try:
        for event in train(LESSON, SETTINGS, control=control, data=random_image_data(40, 16), checkpoints=True):
            recorder(event)
            if type(event).__name__ == "StepLogged" and event.step >= step:
                control.stop()
    finally:
        recorder.close()
    return recorder.run


def listed(capsys) -> tuple[list[str], str]:
    """`babytui runs`: the table's lines and what went to stderr."""
    assert main(["runs"]) == 0
    out, err = capsys.readouterr()
    return out.splitlines(), err


def _settings(run, **change) -> None:
    path = run.path / "settings.json"
    info = json.loads(path.read_text())
    info.update(change)
    path.write_text(json.dumps(info))


SETTINGS_DAMAGE = {
    "settings-a-list": (lambda run: _settings(run, settings=[1, 2]), "its settings is"),
    "nested-200000-deep": (lambda run: (run.path / "settings.json").write_text("[" * 200_000 + "]" * 200_000), "nested too deeply"),
    "created-1e308": (lambda run: _settings(run, created=1e308), "its created is"),
    "created-infinity": (lambda run: (run.path / "settings.json").write_text('{"format": 1, "lesson": 12, "created": Infinity}'), "Infinity"),
    "lr-nan": (lambda run: (run.path / "settings.json").write_text('{"format": 1, "lesson": 12, "settings": {"lr": NaN}}'), "NaN"),
    "lesson-as-text": (lambda run: _settings(run, lesson="12"), "its lesson is"),
    "lr-a-list": (lambda run: _settings(run, settings={"lr": [1, 2]}), "its settings cannot be used"),
    "a-folder": (lambda run: ((run.path / "settings.json").unlink(), (run.path / "settings.json").mkdir()), "is a folder"),
}


@pytest.mark.parametrize("name", SETTINGS_DAMAGE)
def test_a_damaged_settings_file_is_listed_as_unreadable_and_can_be_deleted(name, capsys) -> None:
    bad, good = stopped_run(), stopped_run()
    damage, reason = SETTINGS_DAMAGE[name]
    damage(bad)
    rows = {r.id: r for r in RunStore().summaries()}
    assert rows[bad.id].status == "unreadable" and reason in rows[bad.id].problem, rows[bad.id].problem
    assert rows[good.id].status == "stopped"
    lines, err = listed(capsys)
    assert any(bad.id in line and "unreadable" in line for line in lines) and any(good.id in line for line in lines)
    assert reason in err and "Traceback" not in err
    assert main(["runs", "--csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["id"]: r["status"] for r in table} == {bad.id: "unreadable", good.id: "stopped"}
    assert main(["runs", "rm", bad.id, "--yes"]) == 0
    assert f"deleted run {bad.id}" in capsys.readouterr().err
    assert [r.id for r in RunStore().runs()] == [good.id]


METRICS_DAMAGE = {
    "step-1e400": ('{"type": "steps", "epoch": 1, "step": 1e400, "elapsed": 1.0, "losses": [1.0]}', "line 1 is damaged"),
    "seconds-infinity": ('{"type": "final", "steps": 5, "epochs": 0, "seconds": Infinity, "stopped": true}', "is damaged"),
    "accuracy-high": ('{"type": "final", "steps": 5, "epochs": 0, "seconds": 1, "test_accuracy": "high", "stopped": true}', "test_accuracy of the wrong kind"),
    "device-a-number": ('{"type": "start", "device": 3}', "device of the wrong kind"),
}


@pytest.mark.parametrize("name", METRICS_DAMAGE)
def test_a_damaged_metrics_line_is_skipped_and_named(name, capsys) -> None:
    bad, good = stopped_run(), stopped_run()
    line, reason = METRICS_DAMAGE[name]
    path = bad.path / "metrics.jsonl"
    path.write_text(line + "\n" + path.read_text())
    rows = {r.id: r for r in RunStore().summaries()}
    assert reason in rows[bad.id].problem and rows[bad.id].status == "stopped" and rows[good.id].status == "stopped"
    lines, err = listed(capsys)
    assert sum(bad.id in line or good.id in line for line in lines) == 2 and reason in err
    assert main(["runs", "rm", bad.id, "--yes"]) == 0 and not bad.path.exists()


def test_names_from_disk_are_printed_escaped(capsys) -> None:
    run = stopped_run()
    path = run.path / "metrics.jsonl"
    path.write_text(path.read_text().replace('"device": "cpu"', '"device": "cpu\\u001b[31m\\nforged  row"'))
    odd = run.path.with_name("20260101-000000-l12-\x1b]0;owned\x07\nx")
    os.rename(run.path, odd)
    lines, err = listed(capsys)
    text = "\n".join(lines) + err
    assert "\x1b" not in text and "\x07" not in text
    assert len(lines) == 2  # the header and one row: no newline forged a second one
    assert "\\x1b]0;owned\\x07\\nx" in lines[1] and "cpu\\x1b[31m\\nforged" in lines[1]
    assert printable("a\nb\u202ec") == "a\\nb\\u202ec" and printable("猫 é") == "猫 é"


def test_a_run_folder_that_is_a_symlink_is_never_followed(tmp_path: Path, capsys) -> None:
    outside = tmp_path / "outside"
    real = stopped_run()
    real.path.rename(outside)
    link = RunStore().root / real.id
    link.symlink_to(outside)
    before = sorted(p.name for p in outside.iterdir())
    (row,) = RunStore().summaries()
    assert row.status == "unreadable" and "symbolic link" in row.problem
    assert main(["train", "--resume", real.id]) == 1
    assert "symbolic link" in capsys.readouterr().err
    assert main(["runs", "rm", real.id, "--yes"]) == 0
    assert "deleted the link" in capsys.readouterr().err
    assert not os.path.lexists(link) and sorted(p.name for p in outside.iterdir()) == before  # no lock written there


@pytest.mark.parametrize("name", ["metrics.jsonl", "lock", "settings.json"])
def test_a_run_file_linked_outside_is_never_written_through(name, tmp_path: Path, capsys) -> None:
    run = stopped_run()
    outside = tmp_path / f"outside-{name}"
    inside = run.path / name
    if inside.exists():
        outside.write_bytes(inside.read_bytes())
        inside.unlink()
    inside.symlink_to(outside)
    before = outside.read_bytes() if outside.exists() else None
    code = main(["train", "--resume", run.id])
    err = capsys.readouterr().err
    assert code == 1 and "symbolic link" in err and len(err.strip().splitlines()) == 1, err
    assert (outside.read_bytes() if outside.exists() else None) == before
    assert main(["runs", "rm", run.id, "--yes"]) == 0 and not run.path.exists()
    assert (outside.read_bytes() if outside.exists() else None) == before


def test_listing_in_a_loop_never_makes_a_writer_fail() -> None:
    run = stopped_run()
    code = (
        "import sys, time; from pathlib import Path; from babytui.core.runs import Run\n"
        "run, end = Run(Path(sys.argv[1])), time.monotonic() + 6\n"
        "while time.monotonic() < end:\n"
        "    run.is_running()\n"
    )
    listers = [
        subprocess.Popen([sys.executable, "-c", code, str(run.path)], env=dict(os.environ, PYTHONPATH=str(REPO)))
        for _ in range(3)
    ]
    try:
        time.sleep(2.0)  # the listers are looping (a lock taken to be tested refused 6% of these writers)
        failures = 0
        for _ in range(2000):
            try:
                RunLock(run.path / "lock").release()
            except BlockingIOError:
                failures += 1
    finally:
        for lister in listers:
            lister.wait(timeout=60)
    assert failures == 0
    held = RunLock(run.path / "lock")
    try:
        assert run.is_running() and RunStore().summaries()[0].status == "running"
        with pytest.raises(RunError, match="running right now"):
            RunStore().resumable(run.id)
        with pytest.raises(RunError, match="being written by another babytui"):
            Recorder(run)
    finally:
        held.release()
    assert not run.is_running()


def test_leftovers_of_killed_writes_are_swept(capsys) -> None:
    run = stopped_run()
    fresh = run.path / ".checkpoint.pt.999999.abcdef.tmp"
    old = run.path / ".settings.json.999999.abcdef.tmp"
    for path in (fresh, old):
        path.write_bytes(b"half a file")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    half_deleted = RunStore().root / ".deleting-20260101-000000-l12-dead"
    half_created = RunStore().root / ".new-20260101-000000-l12-beef"
    for folder in (half_deleted, half_created):
        (folder / "inside").mkdir(parents=True)
        os.utime(folder, (time.time() - 3600, time.time() - 3600))
    RunStore().summaries()
    assert fresh.exists() and not old.exists()  # a fresh one may be a write going on now
    assert not half_deleted.exists() and not half_created.exists()
    session_store = RunStore()
    _, _, _, state = session_store.resume_info(run.id)
    Recorder(run, resumed_from=state["step"]).close()  # a writer owns the run: every temporary file there is a leftover
    assert not fresh.exists()


def test_a_full_disk_is_said_and_the_run_lists_what_it_holds(tiny_cifar: Path, monkeypatch, capsys) -> None:
    import errno

    from babytui.core.runs import files

    real_fsync, calls = os.fsync, {"n": 0}

    def fsync(fd):
        calls["n"] += 1
        if calls["n"] > 3:  # the settings, the first checkpoint: then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)
    args = ["train", "--lesson", "12", "--hidden", "8", "--epochs", "3", "--device", "cpu", "--data-root", str(tiny_cifar), "--trust-data"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "is not being saved: No space left on device" in err and "is not saved whole" in err and "saved run" not in err
    (row,) = RunStore().summaries()
    assert row.status == "finished" and "its checkpoint is from step 10, not of step 30" in row.problem and "No space left" in row.problem

"""Runs on disk: saved as they go, resumed bit for bit, listed, compared, and safe from bad files."""

from __future__ import annotations

import errno
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from babytui.cli import main
from babytui.core.runs import files as runs_module
from babytui.core.errors import BabytuiError, RunError
from babytui.core.events import Checkpoint, Finished
from babytui.core.lessons import get_lesson
from babytui.core.runs import Recorder, RunStore, read_metrics
from babytui.core.train import Control, train
from image_data import random_image_data

torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[2]


def tiny_data():
    """Random images: 10 updates an epoch at batch 4."""
    return random_image_data(train=40, test=16)


LESSON = get_lesson(12)
SETTINGS = LESSON.settings({"epochs": 3, "hidden": 8, "device": "cpu"})


def record(recorder: Recorder | None, events) -> tuple[Finished, dict]:
    """Consume a run, saving it; the Finished event and the last checkpoint's state."""
    finished, state = None, None
    try:
        for event in events:
            if recorder is not None:
                assert recorder(event) is None
            if isinstance(event, Checkpoint):
                state = event.state
            elif isinstance(event, Finished):
                finished = event
    finally:
        if recorder is not None:
            recorder.close()
    return finished, state


def stopped_at(step: int, data, store: RunStore):
    """A saved run of SETTINGS stopped after `step` updates."""
    recorder = Recorder.new(LESSON, SETTINGS, store)
    control = Control()
    control.step(step)  # exactly `step` updates, then the loop waits...
    events = train(LESSON, SETTINGS, control=control, data=data, checkpoints=True)

    def stopping():
        for event in events:
            if type(event).__name__ == "StepLogged" and event.step >= step:
                control.stop()  # ...and is stopped
            yield event

    finished, _ = record(recorder, stopping())
    assert finished.stopped and finished.steps == step
    return recorder.run


@pytest.fixture(scope="module")
def uninterrupted():
    """The Finished event and final weights of SETTINGS run straight through."""
    finished, state = record(None, train(LESSON, SETTINGS, data=tiny_data(), checkpoints=True))
    return finished, state["model"]


@pytest.mark.parametrize("step", [10, 15, 20, 27], ids=["epoch-end", "mid-epoch-2", "epoch-2-end", "mid-epoch-3"])
def test_stopped_and_resumed_ends_with_the_same_weights(step, uninterrupted) -> None:
    store = RunStore()
    data = tiny_data()
    run = stopped_at(step, data, store)
    assert run.summary().status == "stopped" and run.summary().resumable
    same_run, lesson, settings, state = store.resume_info(run.id[:22])
    assert same_run.id == run.id and settings == SETTINGS and state["step"] == step
    finished, end_state = record(Recorder(run, resumed_from=step), train(lesson, settings, data=data, checkpoints=True, resume=state))
    full, full_weights = uninterrupted
    assert finished.steps == 30 and finished.epochs_done == 3 and not finished.stopped
    assert finished.final_loss == full.final_loss and finished.test_accuracy == full.test_accuracy
    for name, value in full_weights.items():
        assert torch.equal(end_state["model"][name], value), name
    row = run.summary()
    assert row.status == "finished" and not row.resumable
    # the loss curve has every step once, and every epoch is there once: the resumed part replaces what it redid
    assert [s for s, _ in run.metrics().losses] == list(range(1, 31))
    assert [e["epoch"] for e in run.metrics().epochs] == [1, 2, 3]


def test_resuming_from_a_mid_epoch_interval_checkpoint(monkeypatch, uninterrupted) -> None:
    import babytui.core.train as train_module

    monkeypatch.setattr(train_module, "CHECKPOINT_INTERVAL", 0.0)  # one at every log, mid-epoch too
    monkeypatch.setattr(train_module, "LOG_INTERVAL", 0.0)
    states = [e.state for e in train(LESSON, SETTINGS, data=tiny_data(), checkpoints=True) if isinstance(e, Checkpoint)]
    mid = [s for s in states if s["skip"]]
    assert mid and all(s["step"] % 10 == s["skip"] for s in mid)
    _, state = record(None, train(LESSON, SETTINGS, data=tiny_data(), checkpoints=True, resume=mid[len(mid) // 2]))
    for name, value in uninterrupted[1].items():
        assert torch.equal(state["model"][name], value), name


def test_run_folder_holds_settings_metrics_and_a_weights_only_checkpoint() -> None:
    store = RunStore()
    run = stopped_at(15, tiny_data(), store)
    assert re.fullmatch(r"\d{8}-\d{6}-l12-[0-9a-f]{4}", run.id)
    assert run.path.parent == Path(os.environ["BABYTUI_HOME"]) / "runs"
    info = json.loads((run.path / "settings.json").read_text())
    assert info["format"] == runs_module.FORMAT and info["babytui"] and info["lesson"] == 12
    assert info["settings"]["hidden"] == 8 and info["settings"]["epochs"] == 3
    state = torch.load(run.path / "checkpoint.pt", weights_only=True)
    assert state["step"] == 15 and state["next_epoch"] == 2 and state["skip"] == 5 and len(state["epoch_losses"]) == 5
    for key in ("model", "optimizer", "cpu_rng", "shuffle"):
        assert key in state
    kinds = [json.loads(line)["type"] for line in (run.path / "metrics.jsonl").read_text().splitlines()]
    assert kinds[0] == "start" and kinds[-1] == "final" and "epoch" in kinds and "checkpoint" in kinds
    assert not [p for p in run.path.iterdir() if p.name.endswith(".tmp")]


def test_tiny_lessons_are_recorded_but_not_resumable(capsys) -> None:
    assert main(["train", "--lesson", "8", "--epochs", "50"]) == 0
    assert "saved run" in capsys.readouterr().err
    store = RunStore()
    (row,) = store.summaries()
    assert row.lesson == 8 and row.status == "finished" and row.final_loss is not None and not row.resumable
    assert row.changed == {"epochs": "50"}
    with pytest.raises(RunError, match="nothing to resume"):
        store.resume_info(row.id)


def train_args(root: Path) -> list[str]:
    """`babytui train` of lesson 12 for 3 epochs of 10 updates on the tiny CIFAR-10 at `root`."""
    return ["train", "--lesson", "12", "--hidden", "8", "--epochs", "3", "--device", "cpu",
            "--data-root", str(root), "--trust-data", "--json"]


def test_sigkill_mid_epoch_then_resume_gives_the_same_final_loss(tiny_cifar: Path, capsys) -> None:
    args = train_args(tiny_cifar)
    assert main(args) == 0
    full = json.loads(capsys.readouterr().out)
    env = dict(os.environ, BABYTUI_HOLD_AT_STEP="15", OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    store = RunStore()
    proc = subprocess.Popen(
        [sys.executable, "-m", "babytui", *args], env=env, cwd=REPO,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    (uninterrupted_run,) = store.runs()
    try:
        deadline = time.monotonic() + 60
        while True:  # wait until update 15 (epoch 2 of 10-update epochs) is on disk
            rows = [r for r in store.runs() if r.id != uninterrupted_run.id]
            steps = [s for r in rows for s, _ in r.metrics().losses]
            if 15 in steps:
                break
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "the run never reached update 15"
            time.sleep(0.05)
        (run,) = rows
        assert run.summary().status == "running"
        with pytest.raises(RunError, match="running right now"):
            store.resume_info(run.id)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    row = run.summary()
    assert row.status == "crashed" and row.resumable and row.steps == 15
    assert torch.load(run.path / "checkpoint.pt", weights_only=True)["step"] == 10  # the end of epoch 1
    assert main(["train", "--resume", run.id, "--json"]) == 0
    out, err = capsys.readouterr()
    resumed = json.loads(out)
    assert f"resuming run {run.id} from step 10" in err
    assert resumed["final_loss"] == full["final_loss"] and resumed["test_accuracy"] == full["test_accuracy"]
    assert resumed["steps"] == 30 and run.summary().status == "finished"
    assert [s for s, _ in run.metrics().losses] == list(range(1, 31))
    assert len(store.runs()) == 2  # resumed in its own folder, not a new run


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_stops_mid_epoch_and_saves_a_checkpoint_there(signal_name, tiny_cifar: Path, capsys) -> None:
    args = train_args(tiny_cifar)
    env = dict(os.environ, BABYTUI_HOLD_AT_STEP="15", OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-m", "babytui", *args], env=env, cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    store = RunStore()
    deadline = time.monotonic() + 60
    try:
        while not any(15 in {s for s, _ in r.metrics().losses} for r in store.runs()):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(getattr(signal, signal_name))
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    (run,) = store.runs()
    if signal_name != "SIGHUP":  # after a hangup the terminal is gone: nothing more is written to it
        assert json.loads(out)["stopped"] and json.loads(out)["steps"] == 15
        assert f"babytui train --resume {run.id}" in err
    state = run.checkpoint()
    assert state["step"] == 15 and state["next_epoch"] == 2 and state["skip"] == 5
    assert run.summary().status == "stopped"


# Bad files: each a clear message; the other runs still list; nothing is overwritten.


@pytest.fixture
def two_runs():
    """A stopped run of lesson 12 and one of lesson 11 in the store."""
    store = RunStore()
    data = tiny_data()
    first = stopped_at(15, data, store)
    lesson11 = get_lesson(11)
    settings11 = lesson11.settings({"epochs": 2, "hidden": 8, "device": "cpu"})
    recorder = Recorder.new(lesson11, settings11, store)
    control = Control()
    control.step(3)
    events = train(lesson11, settings11, control=control, data=data, checkpoints=True)

    def stopping():
        for event in events:
            if type(event).__name__ == "StepLogged" and event.step >= 3:
                control.stop()
            yield event

    record(recorder, stopping())
    return store, first, recorder.run


def snapshot_files(store: RunStore) -> dict[str, bytes]:
    return {str(p.relative_to(store.root)): p.read_bytes() for p in store.root.rglob("*") if p.is_file()}


def check_cli_message(capsys, args: list[str], message: str, code: int = 1) -> None:
    assert main(args) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("babytui: error: ") and message in err[0], err


def test_truncated_checkpoint(two_runs, capsys) -> None:
    store, bad, good = two_runs
    path = bad.path / "checkpoint.pt"
    path.write_bytes(path.read_bytes()[:1000])
    before = snapshot_files(store)
    with pytest.raises(RunError, match="checkpoint.pt is damaged"):
        store.resume_info(bad.id)
    check_cli_message(capsys, ["train", "--resume", bad.id], "checkpoint.pt is damaged and cannot be loaded")
    assert {r.id: r.status for r in store.summaries()} == {bad.id: "stopped", good.id: "stopped"}
    assert store.resume_info(good.id)[0].id == good.id
    assert snapshot_files(store) == before


def test_torn_last_metrics_line(two_runs, capsys) -> None:
    store, torn, good = two_runs
    path = torn.path / "metrics.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    cut = b"".join(lines[:-3]) + lines[-3][:17]  # killed while writing a line: no final record
    path.write_bytes(cut)
    rows = {r.id: r for r in store.summaries()}
    assert rows[torn.id].status == "crashed" and rows[good.id].status == "stopped"
    assert "the last line is cut off" in rows[torn.id].problem and rows[torn.id].resumable
    assert main(["runs"]) == 0
    out, err = capsys.readouterr()
    assert torn.id in out and good.id in out and "cut off" in err
    run, lesson, settings, state = store.resume_info(torn.id)
    record(Recorder(run, resumed_from=state["step"]), train(lesson, settings, data=tiny_data(), checkpoints=True, resume=state))
    assert path.read_bytes().startswith(cut + b"\n")  # appended after the torn line, never over it
    metrics = read_metrics(path)
    assert metrics.final is not None and not metrics.final["stopped"] and "cut off" not in " ".join(metrics.problems)


def test_settings_from_a_newer_version(two_runs, capsys) -> None:
    store, newer, good = two_runs
    path = newer.path / "settings.json"
    info = json.loads(path.read_text())
    info.update(format=99, babytui="9.0.0")
    path.write_text(json.dumps(info))
    before = snapshot_files(store)
    with pytest.raises(RunError, match="saved by a newer babytui"):
        store.resume_info(newer.id)
    check_cli_message(capsys, ["train", "--resume", newer.id], "upgrade to read it")
    assert {r.id: r.status for r in store.summaries()} == {newer.id: "unreadable", good.id: "stopped"}
    assert main(["runs"]) == 0
    out, err = capsys.readouterr()
    assert good.id in out and newer.id in out and "newer babytui" in err
    check_cli_message(capsys, ["train", "--resume", newer.id], "newer")
    assert snapshot_files(store) == before


def test_checkpoint_from_another_lesson(two_runs, capsys) -> None:
    store, lesson12, lesson11 = two_runs
    (lesson11.path / "checkpoint.pt").write_bytes((lesson12.path / "checkpoint.pt").read_bytes())
    before = snapshot_files(store)
    with pytest.raises(RunError, match="checkpoint is from lesson 12, but the run is lesson 11"):
        store.resume_info(lesson11.id)
    check_cli_message(capsys, ["train", "--resume", lesson11.id], "from lesson 12")
    assert len(store.summaries()) == 2 and snapshot_files(store) == before


def test_checkpoint_that_does_not_fit_the_model() -> None:
    state = stopped_at(15, tiny_data(), RunStore()).checkpoint()
    other = SETTINGS.replace(hidden=9)
    with pytest.raises(RunError, match="does not fit lesson 12"):
        list(train(LESSON, other, data=tiny_data(), resume=state))


# Bad input


def test_unknown_and_ambiguous_run_ids(two_runs, capsys) -> None:
    store, first, second = two_runs
    check_cli_message(capsys, ["train", "--resume", "nosuchrun"], "there is no run 'nosuchrun'")
    check_cli_message(capsys, ["runs", "rm", "nosuchrun", "--yes"], "there is no run")
    check_cli_message(capsys, ["train", "--resume", first.id[:4]], "matches 2 runs")
    check_cli_message(capsys, ["train", "--resume", "../etc"], "is not a run id")
    check_cli_message(capsys, ["train", "--resume", first.id, "--lr", "1"], "leave out --lr", code=2)
    check_cli_message(capsys, ["train"], "--lesson (or --resume RUN)", code=2)


def test_a_folder_that_cannot_be_written_warns_and_trains(monkeypatch, capsys) -> None:
    def refuse(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(RunError, match="cannot save runs in .*Permission denied"):
        RunStore().create(LESSON, SETTINGS)
    assert main(["train", "--lesson", "8", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["steps"] == 3
    assert "warning: cannot save runs" in err and "training goes on without saving" in err


def test_a_full_disk_warns_once_and_keeps_the_last_good_checkpoint(monkeypatch) -> None:
    store = RunStore()
    recorder = Recorder.new(LESSON, SETTINGS, store)
    real_fsync = os.fsync
    full = {"on": False}

    def fsync(fd):
        if full["on"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(runs_module.os, "fsync", fsync)
    warnings, finished = [], None
    for event in train(LESSON, SETTINGS, data=tiny_data(), checkpoints=True):
        warning = recorder(event)
        if warning:
            warnings.append(warning)
        if isinstance(event, Checkpoint) and event.step == 10:
            full["on"] = True  # the disk fills up after the first checkpoint
        if isinstance(event, Finished):
            finished = event
    recorder.close()
    assert finished is not None and finished.steps == 30  # training went on
    assert len(warnings) == 1 and "No space left on device" in warnings[0]
    state = recorder.run.checkpoint(LESSON)
    assert state["step"] == 10  # the last good one, whole
    assert not [p for p in recorder.run.path.iterdir() if p.name.endswith(".tmp")]


def test_same_second_ids_stay_unique(monkeypatch) -> None:
    store = RunStore()
    tokens = iter(["abcd", "abcd", "abcd", "ef01"])
    monkeypatch.setattr(runs_module.secrets, "token_hex", lambda n: next(tokens) if n == 2 else "0" * 2 * n)
    monkeypatch.setattr(runs_module.time, "localtime", lambda *a: time.struct_time((2026, 11, 29, 11, 30, 0, 6, 333, 0)))
    first = store.create(LESSON, SETTINGS)
    second = store.create(LESSON, SETTINGS)
    assert first.id == "20261129-113000-l12-abcd" and second.id == "20261129-113000-l12-ef01"


def test_two_processes_create_runs_at_once() -> None:
    code = (
        "import sys; from babytui.core.lessons import get_lesson; from babytui.core.runs import RunStore\n"
        "lesson = get_lesson(8)\n"
        "ids = [RunStore().create(lesson, lesson.defaults).id for _ in range(30)]\n"
        "print(' '.join(ids))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    ids = [i for p in procs for i in p.communicate(timeout=60)[0].split()]
    assert all(p.returncode == 0 for p in procs)
    assert len(ids) == 60 and len(set(ids)) == 60
    rows = RunStore().summaries()
    assert len(rows) == 60 and all(r.status == "crashed" and r.lesson == 8 for r in rows)


def test_one_writer_per_run() -> None:
    store = RunStore()
    run = store.create(LESSON, SETTINGS)
    recorder = Recorder(run)
    with pytest.raises(RunError, match="being written by another babytui"):
        Recorder(run)
    with pytest.raises(RunError, match="being written by another babytui"):
        store.delete(run)
    recorder.close()
    Recorder(run).close()
    # A delete that was killed half-way left its renamed folder: never listed, and swept by the next.
    (store.root / ".deleting-20260101-000000-l8-dead" / "inside").mkdir(parents=True)
    assert [r.id for r in store.runs()] == [run.id]
    store.delete(run)
    assert store.runs() == [] and not list(store.root.iterdir())


def test_no_save(capsys) -> None:
    assert main(["train", "--lesson", "8", "--no-save"]) == 0
    assert "saved run" not in capsys.readouterr().err and RunStore().runs() == []
    check_cli_message(capsys, ["train", "--resume", "x", "--no-save"], "leave out --no-save", code=2)


def test_failed_training_is_recorded(capsys) -> None:
    assert main(["train", "--lesson", "7", "--lr", "1000", "--epochs", "200"]) == 1
    assert "diverged" in capsys.readouterr().err
    (row,) = RunStore().summaries()
    assert row.status == "crashed" and "diverged" in row.problem


# Compare: the table, CSV and deleting


def test_runs_table_csv_and_rm(tmp_path: Path, capsys, monkeypatch) -> None:
    assert main(["runs"]) == 0
    assert "no runs saved yet" in capsys.readouterr().err
    assert main(["train", "--lesson", "8", "--epochs", "20", "--lr", "0.5"]) == 0
    assert main(["train", "--lesson", "7"]) == 0
    capsys.readouterr()
    assert main(["runs"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "lesson", "settings", "result", "time", "device", "date", "status"]
    assert "lr=0.5 epochs=20" in lines[1] and "finished" in lines[1] and "loss " in lines[1]
    assert "defaults" in lines[2]
    out_file = tmp_path / "runs.csv"
    assert main(["runs", "--csv", str(out_file)]) == 0
    assert "wrote 2 runs" in capsys.readouterr().err
    import csv

    rows = list(csv.DictReader(out_file.open()))
    assert [r["lesson"] for r in rows] == ["8", "7"] and rows[0]["lr"] == "0.5" and rows[0]["status"] == "finished"
    check_cli_message(capsys, ["runs", "--csv", str(out_file)], "already exists")
    assert main(["runs", "--csv"]) == 0
    assert capsys.readouterr().out.startswith("id,lesson,status")
    first = RunStore().runs()[0]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert main(["runs", "rm", first.id]) == 0
    assert "nothing deleted" in capsys.readouterr().err and first.path.exists()
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    assert main(["runs", "rm", first.id]) == 0
    assert f"deleted run {first.id}" in capsys.readouterr().err and not first.path.exists()
    assert main(["runs", "rm", RunStore().runs()[0].id[:20], "--yes"]) == 0
    assert RunStore().runs() == [] and not list(RunStore().root.iterdir())


def test_run_error_is_a_babytui_error() -> None:
    assert issubclass(RunError, BabytuiError)

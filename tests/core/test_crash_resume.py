"""The crash test at scale (slow): SIGKILLs at random moments of a lesson-12 run on shapes, each resumed.

    PYTHONPATH=. python -m pytest -m slow -s tests/core/test_crash_resume.py

`babytui train` runs in a subprocess and is killed with SIGKILL at a random moment (during
start-up, before its first checkpoint, while writing one, between epochs...), resumed with
`--resume`, killed again, and so on; every run, once resumed to its end, must be bit for bit the
run never interrupted: the same final weights, loss, accuracy and loss curve. A third of the
kills land before the run's first checkpoint on purpose (a run resumed from its start may be
killed early again). Set BABYTUI_CRASH_KILLS (30) and
BABYTUI_CRASH_ARGS (the settings; lesson 12 on shapes, 2 epochs at batch 32) to change the scale.
"""

from __future__ import annotations

import os
import random
import shlex
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import torch

from babytui.core.runs import RunStore

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("BABYTUI_CRASH_KILLS", "30"))
SETTINGS = shlex.split(os.environ.get("BABYTUI_CRASH_ARGS", "--epochs 2 --batch-size 32"))
KILLS_PER_RUN = 3
"""Kills a run takes at most before it is resumed to its end and compared: several runs get compared."""
ARGS = ["train", "--lesson", "12", "--dataset", "shapes", "--device", "cpu", "--json", *SETTINGS]


def start(*extra: str) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "babytui", *extra], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def final_state(run) -> tuple[dict, dict, list]:
    """What a finished run ended with: its final record, its weights and its loss curve."""
    metrics = run.metrics()
    assert metrics.final is not None and not metrics.final["stopped"], (run.id, metrics.problems)
    weights = torch.load(run.path / "checkpoint.pt", weights_only=True)["model"]
    return metrics.final, weights, metrics.losses


def same(a, b) -> bool:
    final_a, weights_a, losses_a = a
    final_b, weights_b, losses_b = b
    keys = ("steps", "epochs", "final_loss", "test_loss", "test_accuracy")
    return (
        all(final_a.get(k) == final_b.get(k) for k in keys) and losses_a == losses_b
        and weights_a.keys() == weights_b.keys() and all(torch.equal(weights_a[k], weights_b[k]) for k in weights_a)
    )


def _metrics_size(run) -> int:
    try:
        return (run.path / "metrics.jsonl").stat().st_size
    except OSError:
        return 0


def kill_at_random(proc: subprocess.Popen, find_run, seconds: float, early: bool) -> str:
    """SIGKILL `proc` after `seconds` (or, `early`, at a random moment once it has begun training and
    before its first checkpoint); what it was doing then, in words ("finished" when it ended first)."""
    deadline = time.monotonic() + (600 if early else seconds)
    moment = None
    run = find_run()
    size_before = _metrics_size(run) if run is not None else 0
    while proc.poll() is None and time.monotonic() < deadline:
        if early and moment is None:
            run = find_run()
            if run is not None and run.metrics().start is not None and _metrics_size(run) > size_before:
                moment = time.monotonic() + random.uniform(0.0, 3.0)  # the first checkpoint comes after 5 s
        if moment is not None and time.monotonic() >= moment:
            break
        time.sleep(0.02)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    else:
        proc.communicate()
        assert proc.returncode == 0, "a run failed"
        return "finished"
    run = find_run()
    if run is None:
        return "before the run was saved"
    if run.summary().status == "finished":
        return "after its final record"
    return "after a checkpoint" if run.has_checkpoint() else "before its first checkpoint"


def test_thirty_sigkills_each_resumed_end_bit_identical(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BABYTUI_HOME", str(tmp_path / "home"))
    random.seed(11)
    store = RunStore()
    started = time.monotonic()
    reference = start(*ARGS)
    _, err = reference.communicate(timeout=3600)
    assert reference.returncode == 0, err[-2000:]
    full_seconds = time.monotonic() - started
    (uninterrupted,) = store.runs()
    expected = final_state(uninterrupted)
    done = {uninterrupted.id}
    kills: Counter[str] = Counter()
    killed: Counter[str] = Counter()  # kills of each run
    checked, mismatches = [], []
    current = None  # the run being killed and resumed, once it exists

    def new_run():
        return next((r for r in store.runs() if r.id not in done), None)

    while sum(kills.values()) < KILLS or current is not None:
        if sum(kills.values()) >= KILLS or (current is not None and killed[current.id] >= KILLS_PER_RUN):
            # the last one killed, or one killed often enough: resume it to its end
            what = kill_at_random(start("train", "--resume", current.id, "--json"), lambda: current, 3600.0, False)
        elif current is None:
            early = kills["before its first checkpoint"] < KILLS // 3
            what = kill_at_random(start(*ARGS), new_run, random.uniform(0.5, full_seconds), early)
        else:  # a run with no checkpoint yet goes on from its start: kill it early again, while the quota lasts
            early = kills["before its first checkpoint"] < KILLS // 3 and not current.has_checkpoint()
            what = kill_at_random(start("train", "--resume", current.id, "--json"), lambda: current, random.uniform(0.5, full_seconds), early)
        current = current or new_run()
        if what != "finished":
            kills[what] += 1
            killed[current.id if current is not None else ""] += 1
        if current is not None and current.summary().status == "finished":
            checked.append(current.id)
            if not same(final_state(current), expected):
                mismatches.append(current.id)
            done.add(current.id)
            current = None
    print(
        f"\ncrash test: {sum(kills.values())} SIGKILLs of `babytui {' '.join(ARGS)}` ({full_seconds:.0f} s uninterrupted): "
        + ", ".join(f"{n} {what}" for what, n in kills.most_common())
        + f"; {len(checked)} runs (killed {', '.join(str(killed[i]) for i in checked)} times) resumed to their end, {len(checked) - len(mismatches)} of them bit-identical "
        f"to the uninterrupted run (weights, loss, accuracy, loss curve); {time.monotonic() - started:.0f} s in all"
    )
    assert not mismatches, mismatches
    assert kills["before its first checkpoint"] >= KILLS // 3
    assert all(r.summary().status == "finished" for r in store.runs())  # no run lost, none left half done

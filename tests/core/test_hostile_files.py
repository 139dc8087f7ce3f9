"""Hostile files: no pickle babytui reads runs code, and a damaged checkpoint is refused in one line.

Each malicious pickle here would create a marker file when unpickled; the tests prove it never is.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from babytui.cli import main
from babytui.core.datasets import folder as folder_module
from babytui.core.datasets import load_images, verify
from babytui.core.datasets.safe_pickle import BatchUnpickler
from babytui.core.errors import DataError, RunError
from babytui.core.lessons import get_lesson
from babytui.core.runs import Recorder, RunStore
from babytui.core.session import Session
from babytui.core.train import Control, train
from image_data import random_image_data

torch.set_num_threads(1)
CPU = torch.device("cpu")


class Marker:
    """Unpickled, it would create the file `path`: proof that code in a pickle ran."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


class MarkerWithArray(Marker):
    """The same, hidden behind numpy's own reconstruct: a pickle that names an allowed global first."""

    def __reduce__(self):
        return (np._core.multiarray._reconstruct, (Marker, (0,), b"b"))


def malicious_batch(marker: Path, protocol: int = 2) -> bytes:
    """A CIFAR-10 batch whose data would run `touch marker` when unpickled with pickle.load."""
    return pickle.dumps({"batch_label": "evil", "labels": [0], "data": Marker(marker)}, protocol=protocol)


@pytest.mark.parametrize("protocol", [0, 2, 5])
@pytest.mark.parametrize("trust", [True, False], ids=["trust-data", "poisoned-verdict-cache"])
def test_a_malicious_cifar10_batch_runs_no_code(tiny_cifar: Path, tmp_path: Path, capsys, monkeypatch, protocol, trust) -> None:
    marker = tmp_path / "pwned"
    folder = tiny_cifar / "cifar-10-batches-py"
    evil = malicious_batch(marker, protocol)
    (folder / "data_batch_3").write_bytes(evil)
    if not trust:  # the verdict cache claims this very content is the official file: still, no code runs
        sums = {name: hashlib.md5((folder / name).read_bytes()).hexdigest() for name in verify.CIFAR10_FILE_MD5}
        monkeypatch.setattr(verify, "CIFAR10_FILE_MD5", {**sums, "data_batch_3": "0" * 32})
        verify._remember({hashlib.sha256(evil).hexdigest(): "0" * 32})
    with pytest.raises(DataError, match=r"data_batch_3 was not read: it asks for (posix|os|nt)\.system"):
        load_images("cifar10", str(tiny_cifar), CPU, trust_data=trust)
    args = ["train", "--lesson", "10", "--device", "cpu", "--data-root", str(tiny_cifar), "--max-steps", "1"]
    assert main([*args, "--trust-data"] if trust else args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "could run code" in err[0]
    assert not marker.exists()


def test_the_unpickler_reads_every_way_numpy_pickles_an_array_and_nothing_else(tmp_path: Path) -> None:
    data = np.arange(24, dtype=np.uint8).reshape(2, 12)
    for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
        batch = {"data": data, "labels": [1, 2], "big": np.arange(3, dtype=">i4"), "n": np.int64(7), "raw": b"\x00\xff"}
        read = BatchUnpickler(io.BytesIO(pickle.dumps(batch, protocol=protocol))).load()
        assert np.array_equal(read["data"], data) and read["data"].flags.writeable
        assert read["big"].tolist() == [0, 1, 2] and read["n"] == 7 and read["raw"] == b"\x00\xff"
    marker = tmp_path / "pwned"
    refused = [
        pickle.dumps({"data": np.array([None, 1], dtype=object)}, protocol=2),  # object arrays unpickle anything
        pickle.dumps({"data": MarkerWithArray(marker)}, protocol=2),
        pickle.dumps({"data": Marker(marker)}, protocol=4),
        pickle.dumps([1, 2, 3]),  # not a batch
    ]
    for blob in refused:
        with pytest.raises(pickle.UnpicklingError):
            BatchUnpickler(io.BytesIO(blob)).load()
    assert not marker.exists()


def test_a_batch_with_out_of_range_labels_or_other_pixels_is_refused(tiny_cifar: Path) -> None:
    folder = tiny_cifar / "cifar-10-batches-py"
    good = pickle.loads((folder / "test_batch").read_bytes())
    for change, message in (
        ({"labels": [99] * len(good["labels"])}, "one label from 0 to 9"),
        ({"data": good["data"].astype(np.float32)}, "32x32 colour images"),
        ({"data": good["data"][:, :100]}, "32x32 colour images"),
    ):
        (folder / "test_batch").write_bytes(pickle.dumps({**good, **change}, protocol=2))
        with pytest.raises(DataError, match=message):
            load_images("cifar10", str(tiny_cifar), CPU, trust_data=True)


def test_the_exported_cifar10_script_reads_with_the_same_unpickler(tiny_cifar: Path, tmp_path: Path) -> None:
    from babytui.core.export import render_script

    marker = tmp_path / "pwned"
    (tiny_cifar / "cifar-10-batches-py" / "data_batch_1").write_bytes(malicious_batch(marker))
    lesson = get_lesson(10)
    script = tmp_path / "lesson10.py"
    script.write_text(render_script(lesson, lesson.settings({"data_root": str(tiny_cifar), "device": "cpu"})))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env={"PATH": "", "OMP_NUM_THREADS": "1"})
    assert done.returncode != 0 and "UnpicklingError" in done.stderr and "could run code" in done.stderr
    assert not marker.exists()


# -- checkpoints


LESSON = get_lesson(12)
SETTINGS = LESSON.settings({"epochs": 2, "hidden": 8, "device": "cpu"})


@pytest.fixture
def stopped_run():
    """A run of lesson 12 stopped after 5 updates, its checkpoint on disk."""
    recorder = Recorder.new(LESSON, SETTINGS, RunStore())
    control = Control()
    control.step(5)
    try:
        for event in train(LESSON, SETTINGS, control=control, data=random_image_data(40, 16), checkpoints=True):
            recorder(event)
            if type(event).__name__ == "StepLogged" and event.step >= 5:
                control.stop()
    finally:
        recorder.close()
    return recorder.run


def resume_message(capsys, run) -> str:
    assert main(["train", "--resume", run.id]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    return err[0]


def test_a_malicious_checkpoint_runs_no_code(stopped_run, tmp_path: Path, capsys) -> None:
    marker = tmp_path / "pwned"
    for blob in (pickle.dumps(Marker(marker), protocol=2), _torch_saved({"model": Marker(marker), "step": 1})):
        (stopped_run.path / "checkpoint.pt").write_bytes(blob)
        with pytest.raises(RunError, match="checkpoint.pt is damaged and cannot be loaded"):
            RunStore().resume_info(stopped_run.id)
        assert "cannot be loaded" in resume_message(capsys, stopped_run)
    assert not marker.exists()


def _torch_saved(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.update(step="12"), "its step is '12'"),
        (lambda s: s.update(skip=-1), "its skip is -1"),
        (lambda s: s.update(shuffle=torch.zeros(3)), "its shuffle is a tensor of (3,) torch.float32"),
        (lambda s: s.update(epoch_losses=torch.zeros(99)), "its epoch_losses"),
        (lambda s: s.update(seconds=float("inf")), "its seconds is inf"),
        (lambda s: s["model"].update({"fc1.weight": torch.zeros(120, 1176)}), "its fc1.weight is 120x1176, this network's is 8x1176"),
        (lambda s: s["model"].pop("fc2.bias"), "it lacks fc2.bias"),
        (lambda s: s.update(step=s["step"] + 1), "which an epoch of 10 updates never gives"),
    ],
    ids=["step-as-text", "negative-skip", "bad-rng", "losses-length", "infinite-seconds", "wrong-shape", "missing-weight", "inconsistent-step"],
)
def test_a_damaged_checkpoint_is_refused_saying_what_is_wrong(stopped_run, capsys, change, message) -> None:
    path = stopped_run.path / "checkpoint.pt"
    state = torch.load(path, weights_only=True)
    change(state)
    path.write_bytes(_torch_saved(state))
    session = Session.resuming(stopped_run.id, data=random_image_data(40, 16))
    with pytest.raises(RunError) as refused:
        list(session.events())
    line = str(refused.value)
    assert message in line and "\n" not in line, line
    assert "Error(s) in loading state_dict" not in line and "for PoolNet" not in line


@pytest.mark.parametrize("kind", ["directory", "dev-zero", "fifo", "link-outside"])
def test_a_checkpoint_that_is_not_a_file_is_named_so(stopped_run, tmp_path: Path, capsys, kind) -> None:
    path = stopped_run.path / "checkpoint.pt"
    path.unlink()
    if kind == "directory":
        path.mkdir()
        expected = "checkpoint.pt is a folder, not a file"
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
        expected = "checkpoint.pt is a symbolic link"
    elif kind == "fifo":
        os.mkfifo(path)
        expected = "checkpoint.pt is a device or a pipe"
    else:
        outside = tmp_path / "outside.pt"
        outside.write_bytes(b"x")
        path.symlink_to(outside)
        expected = "checkpoint.pt is a symbolic link"
    line = resume_message(capsys, stopped_run)
    assert expected in line and "stopped before its first one" not in line, line


def test_a_malicious_folder_cache_runs_no_code_and_is_rebuilt(tmp_path: Path) -> None:
    from PIL import Image

    root = tmp_path / "pets"
    for name in ("cat", "dog"):
        for i in range(3):
            (root / name).mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (32, 32), (40 * i, 9, 9)).save(root / name / f"{i}.png")
    first = load_images("folder", str(root), CPU)
    (cache,) = folder_module.folder_cache_dir().glob("*.pt")
    marker = tmp_path / "pwned"
    for blob in (pickle.dumps(Marker(marker), protocol=2), _torch_saved({"tensors": Marker(marker)})):
        cache.write_bytes(blob)
        again = load_images("folder", str(root), CPU)
        assert torch.equal(again.train_images, first.train_images)
    assert not marker.exists()

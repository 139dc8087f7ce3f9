"""The generated shapes, image folders, bad data roots, and exported scripts that load the same data."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from babytui.cli import main
from babytui.core.datasets import base as data_module
from babytui.core.datasets import folder as folder_module
from babytui.core.datasets import ImageData, load_images
from babytui.core.datasets.folder import load_image_folder
from babytui.core.datasets.shapes import load_shapes
from babytui.core.errors import DataError, LoadCancelled, SettingsError
from babytui.core.export import render_script
from babytui.core.lessons import get_lesson
from babytui.core.settings import DATASETS, FIELDS
from babytui.core.datasets.shapes_draw import SHAPES_CLASSES, make_shapes
from babytui.core.train import train
from babytui.core import events as ev

torch.set_num_threads(1)
CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Own cache folder and no network: nothing here may touch the user's files or the internet."""
    monkeypatch.setenv("BABYTUI_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("BABYTUI_DATA", raising=False)
    monkeypatch.setenv("BABYTUI_CIFAR10_URL", "http://127.0.0.1:9/nothing-here")


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


# -- settings


def test_the_datasets_and_the_trust_flag_are_settings():
    assert DATASETS == ("cifar10", "shapes", "folder")
    lesson = get_lesson(14)
    assert lesson.defaults.dataset == "cifar10" and lesson.defaults.trust_data is False
    s = lesson.settings({"dataset": "Shapes", "trust_data": "yes"})
    assert s.dataset == "shapes" and s.trust_data is True
    assert FIELDS["trust_data"].flag == "--trust-data"


# -- shapes


def test_shapes_are_the_same_for_the_same_seed():
    images, labels = make_shapes(300, seed=5)
    again, labels_again = make_shapes(300, seed=5)
    assert images.shape == (300, 3, 32, 32) and images.dtype == torch.uint8
    assert labels.dtype == torch.int64 and set(labels.tolist()) == set(range(len(SHAPES_CLASSES)))
    assert torch.equal(images, again) and torch.equal(labels, labels_again)
    other, _ = make_shapes(300, seed=6)
    assert not torch.equal(images, other)


def test_shapes_vary_and_are_noisy():
    images, labels = make_shapes(400, seed=0)
    pixels = images.float()
    assert pixels.std() > 40  # colour, position and noise: far from flat pictures
    assert len(torch.unique(images.flatten(1), dim=0)) == 400  # no two pictures alike
    # Every class's mean picture is different from every other's: the labels mean something.
    means = torch.stack([pixels[labels == k].mean(0) for k in range(10)])
    assert torch.cdist(means.flatten(1), means.flatten(1)).fill_diagonal_(1e9).min() > 1.0


def test_load_shapes_gives_both_splits_on_the_device():
    data = load_shapes(CPU, train_size=50, test_size=20)
    assert data.name == "shapes" and data.classes == SHAPES_CLASSES
    assert data.train_images.shape == (50, 3, 32, 32) and data.test_images.shape == (20, 3, 32, 32)
    assert not torch.equal(data.train_images[:20], data.test_images)  # the test split has its own seed


# -- image folders


def _image(path: Path, size=(32, 32), mode="RGB", colour=(200, 30, 30)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    picture = Image.new("RGB", size, colour).convert(mode)
    picture.save(path)


def _folder(root: Path, per_class: int = 5) -> Path:
    """A tiny image folder: two classes, PNG and JPEG of several sizes and modes, and some junk."""
    for i in range(per_class):
        _image(root / "cats" / f"{i}.png", (32 + 7 * i, 20 + 3 * i), "RGB", (200, 10 * i, 30))
        _image(root / "dogs" / f"{i}.jpg", (64, 64), "L" if i % 2 else "RGB", (20, 40, 10 * i))
    _image(root / "dogs" / "extra.png", (40, 30), "RGBA", (5, 5, 250))
    _image(root / "dogs" / "palette.gif", (16, 16), "P", (9, 9, 9))
    (root / "cats" / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg at all")
    (root / "cats" / "notes.txt").write_text("not an image, and not counted as one")
    (root / "cats" / ".hidden.png").write_bytes(b"ignored")
    return root


def test_a_folder_becomes_32x32_rgb_with_class_names_and_a_fixed_split(tmp_path):
    root = _folder(tmp_path / "pets")
    data = load_images("folder", str(root), CPU)
    assert data.name == "folder" and data.classes == ("cats", "dogs")
    assert len(data.train_images) + len(data.test_images) == 12  # 5 + 7 readable, the broken one skipped
    assert len(data.test_images) == round(12 * 0.2)
    assert data.train_images.shape[1:] == (3, 32, 32) and data.train_images.dtype == torch.uint8
    assert data.warnings == (f"skipped 1 unreadable image file in {root}",)
    # Reading again gives the same split (a fixed seed), from the cache.
    again = load_images("folder", str(root), CPU)
    assert torch.equal(again.test_images, data.test_images) and again.warnings == data.warnings
    # The pixels are the picture's: a red cat stays red.
    cats = torch.cat([data.train_images[data.train_labels == 0], data.test_images[data.test_labels == 0]])
    assert (cats[:, 0].float().mean((1, 2)) > 150).all()


@pytest.mark.parametrize("batch", [256, 2])  # one batch, read here; many, shared by threads
def test_reading_a_folder_reports_progress_and_can_be_stopped(tmp_path, monkeypatch, batch):
    monkeypatch.setattr(folder_module, "_BATCH", batch)
    heard = []
    load_images("folder", str(_folder(tmp_path / "pets")), CPU, progress=heard.append)
    last = heard[-1]
    assert last.title == "reading images" and last.done == last.total == 13  # the broken file counts too
    assert last.amounts().startswith("13 of 13 images")
    other = _folder(tmp_path / "more", per_class=3)

    def stop(progress):
        raise LoadCancelled("stopped reading images")

    with pytest.raises(LoadCancelled):
        load_images("folder", str(other), CPU, progress=stop)
    assert len(list((tmp_path / "cache").rglob("*.pt"))) == 1  # only the folder read to the end is cached
    assert len(load_images("folder", str(other), CPU).train_images) > 0


def test_a_folder_with_train_and_test_keeps_its_split(tmp_path):
    root = tmp_path / "split"
    for split, count in (("train", 4), ("test", 2)):
        for name in ("ant", "bee", "cow"):
            for i in range(count):
                _image(root / split / name / f"{i}.png", (32, 32), "RGB", (i * 40, 0, 0))
    data = load_image_folder(root, CPU)
    assert data.classes == ("ant", "bee", "cow")
    assert data.train_labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4 and len(data.test_images) == 6
    assert data.warnings == ()


def test_the_cache_is_used_and_renewed_when_a_file_changes(tmp_path, monkeypatch):
    root = _folder(tmp_path / "pets")
    first = load_image_folder(root, CPU)
    assert len(list((tmp_path / "cache" / "folders").glob("*.pt"))) == 1
    calls = []
    real = folder_module.read_image
    monkeypatch.setattr(folder_module, "read_image", lambda p: calls.append(p) or real(p))
    second = load_image_folder(root, CPU)
    assert calls == [] and torch.equal(first.train_images, second.train_images)
    _image(root / "cats" / "new.png")
    third = load_image_folder(root, CPU)
    assert calls and len(third.train_images) + len(third.test_images) == 13


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_text("a file"), "is a file"),
        (lambda p: None, "does not exist"),
        (lambda p: p.mkdir(), "no class folders"),
        (lambda p: (p.mkdir(), (p / "a.txt").write_text("x"), (p / "b.csv").write_text("y")), "no class folders"),
        (lambda p: _image(p / "only" / "0.png"), "only one class (only)"),
        (lambda p: [(p / c).mkdir(parents=True) for c in ("a", "b")], "no image files"),
        (
            lambda p: [(p / c).mkdir(parents=True) or (p / c / "x.jpg").write_bytes(b"junk") for c in ("a", "b")],
            "none of the 2 image files",
        ),
    ],
    ids=["file", "missing", "empty", "other-things", "one-class", "no-images", "only-corrupt"],
)
def test_a_bad_folder_is_one_clear_error_and_nothing_is_touched(tmp_path, capsys, make, message):
    root = tmp_path / "root"
    make(root)
    before = _tree(tmp_path)
    with pytest.raises(DataError, match=re.escape(message)):
        load_images("folder", str(root), CPU)
    code = main(["train", "--lesson", "10", "--dataset", "folder", "--data-root", str(root), "--max-steps", "1"])
    err = capsys.readouterr().err
    # a data root that cannot serve at all is a bad setting, checked as typed (exit 2); a bad folder's contents fail the run (1)
    assert code == (2 if message in ("is a file", "does not exist") else 1)
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert _tree(tmp_path) == before


def test_an_unreadable_folder_is_a_clear_error(tmp_path, monkeypatch):
    root = _folder(tmp_path / "pets")

    def refuse(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "iterdir", refuse)  # chmod does not stop root, so refuse by hand
    with pytest.raises(DataError, match="cannot read .*permission denied"):
        load_images("folder", str(root), CPU)


def test_folder_needs_a_data_root(capsys):
    assert main(["train", "--lesson", "10", "--dataset", "folder"]) == 2
    assert "error: --data-root: the folder dataset needs a data root" in capsys.readouterr().err
    # The app's form shows the same reason under its data root field, from the same validation.
    lesson = get_lesson(10)
    with pytest.raises(SettingsError, match="the folder dataset needs a data root") as caught:
        lesson.settings({"dataset": "folder"})
    assert caught.value.field == "data_root"
    assert lesson.settings({"dataset": "folder", "data_root": "/photos"}).data_root == "/photos"


def test_cifar10_roots_that_are_wrong(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match="is a file"):
        load_images("cifar10", str(tmp_path / "file"), CPU)
    with pytest.raises(DataError, match="unknown dataset"):
        load_images("mnist", "", CPU)


def test_the_cli_prints_skipped_files_as_one_warning(tmp_path, capsys):
    root = _folder(tmp_path / "pets")
    assert main(["train", "--lesson", "10", "--dataset", "folder", "--data-root", str(root), "--max-steps", "2", "--json"]) == 0
    out, err = capsys.readouterr()
    assert err.count("warning: skipped 1 unreadable image file") == 1
    assert '"test_accuracy"' in out


def test_predictions_carry_the_folder_class_names(tmp_path):
    data = load_image_folder(_folder(tmp_path / "pets"), CPU)
    lesson = get_lesson(12)
    events = list(train(lesson, lesson.settings({"max_steps": 2, "device": "cpu"}), data=data))
    started = next(e for e in events if isinstance(e, ev.RunStarted))
    predictions = next(e for e in events if isinstance(e, ev.Predictions))
    assert started.classes == ("cats", "dogs") and predictions.classes == ("cats", "dogs")
    assert predictions.probabilities.shape[1] == 2


# -- exported scripts load the same data


def _final_loss(events) -> float:
    return next(e for e in events if isinstance(e, ev.Finished)).final_loss


def _start_script(script: str, path: Path) -> subprocess.Popen:
    path.write_text(script)
    return subprocess.Popen(
        [sys.executable, str(path), "--device", "cpu"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={"PATH": "", "OMP_NUM_THREADS": "1"},
    )


def _script_loss(process: subprocess.Popen) -> float:
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err[-2000:]
    return float(re.search(r"final loss: (\S+)", out).group(1))


def test_exported_scripts_load_the_same_shapes_and_folder_and_get_the_same_loss(tmp_path):
    """Both scripts run at once: most of their time is importing torch."""
    shapes_lesson = get_lesson(14)
    shapes_settings = shapes_lesson.settings(
        {"dataset": "shapes", "epochs": 2, "batch_size": 16, "device": "cpu", "seed": 3}
    )
    script = render_script(shapes_lesson, shapes_settings)
    script, count = re.subn(
        r"SHAPES_TRAIN_SIZE, SHAPES_TEST_SIZE, SHAPES_SEED = \d+, \d+",
        "SHAPES_TRAIN_SIZE, SHAPES_TEST_SIZE, SHAPES_SEED = 160, 40",
        script,
    )
    assert count == 1 and "import babytui" not in script and "from babytui" not in script
    shapes_run = _start_script(script, tmp_path / "shapes.py")

    root = _folder(tmp_path / "pets")
    folder_lesson = get_lesson(10)
    folder_settings = folder_lesson.settings({"dataset": "folder", "data_root": str(root), "epochs": 2, "device": "cpu"})
    folder_run = _start_script(render_script(folder_lesson, folder_settings), tmp_path / "folder.py")

    shapes_ours = _final_loss(train(shapes_lesson, shapes_settings, data=load_shapes(CPU, train_size=160, test_size=40)))
    folder_ours = _final_loss(train(folder_lesson, folder_settings))
    assert _script_loss(shapes_run) == pytest.approx(shapes_ours, rel=1e-6)
    assert _script_loss(folder_run) == pytest.approx(folder_ours, rel=1e-6)


def test_load_images_passes_trust_data_from_the_settings(monkeypatch):
    seen = {}

    def fake(dataset, data_root, device, **kwargs):
        seen.update(kwargs, dataset=dataset)
        return load_shapes(device, train_size=8, test_size=4)

    monkeypatch.setattr("babytui.core.datasets.load_images", fake)
    lesson = get_lesson(10)
    list(train(lesson, lesson.settings({"trust_data": "yes", "max_steps": 1, "device": "cpu"})))
    assert seen == {"dataset": "cifar10", "trust_data": True, "progress": None}


def test_image_data_moves_with_its_warnings():
    data = ImageData("x", *make_shapes(4), *make_shapes(2), ("a",) * 10, warnings=("w",), root="r")
    moved = data.to(CPU)
    assert moved.warnings == ("w",) and moved.root == "r" and moved.classes == data.classes


def test_data_module_default_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("BABYTUI_DATA", str(tmp_path / "elsewhere"))
    assert data_module.default_data_root() == tmp_path / "elsewhere"
    monkeypatch.delenv("BABYTUI_DATA")
    assert data_module.default_data_root() == tmp_path / "cache"


def test_a_full_disk_only_costs_the_cache(tmp_path, monkeypatch):
    root = _folder(tmp_path / "pets")

    def full(*args, **kwargs):
        raise RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed")

    monkeypatch.setattr(folder_module.torch, "save", full)
    data = load_image_folder(root, CPU)
    assert data.classes == ("cats", "dogs")
    assert not list((tmp_path / "cache").rglob("*.pt")) and not list((tmp_path / "cache").rglob("*.tmp"))

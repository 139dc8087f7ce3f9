"""Inside a network: feature maps, the saliency, small networks' units, your own picture and `predict`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PIL import Image
from torch import nn
from torch.nn import functional as F

from babytui.cli import main
from babytui.core.datasets import normalize
from babytui.core.errors import BabytuiError, RunError
from babytui.core.events import RunStarted, WeightsSnapshot
from babytui.core.inside import Subject, look, load_picture, saved_subject, what_if
from babytui.core.lessons import get_lesson
from babytui.core.lessons.layers import Network
from babytui.core.session import Session
from babytui.core.train import train
from image_data import random_image_data


def known_image() -> torch.Tensor:
    """A 32x32 picture: red rising left to right, green top to bottom, no blue."""
    ramp = torch.arange(32, dtype=torch.float32) * 8
    image = torch.zeros(3, 32, 32)
    image[0] = ramp.view(1, 32)
    image[1] = ramp.view(32, 1)
    return image.to(torch.uint8)


class RedEdges(Network):
    """One 1x1 convolution that copies the red channel and one that doubles minus green, then a sigmoid."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 1)
        with torch.no_grad():
            self.conv.weight.zero_()
            self.conv.bias.zero_()
            self.conv.weight[0, 0] = 1.0
            self.conv.weight[1, 1] = -2.0
        self.fc = nn.Linear(2 * 32 * 32, 3)

    def forward(self, x):
        x = torch.sigmoid(self.conv(x))  # (B, 2, 32, 32)
        return self.fc(x.flatten(1))


def test_feature_maps_of_a_known_network_on_a_known_image() -> None:
    torch.manual_seed(0)
    model = RedEdges().eval()
    image = known_image()
    seen = look(model, image, label=1)
    assert [layer.name for layer in seen.layers] == ["conv + sigmoid", "fc"]
    maps = seen.layers[0].values
    inputs = normalize(image.unsqueeze(0))[0]
    assert maps.shape == (2, 32, 32)
    assert torch.allclose(maps[0], torch.sigmoid(inputs[0]))  # the red channel, squashed
    assert torch.allclose(maps[1], torch.sigmoid(-2 * inputs[1]))
    assert seen.layers[1].values.shape == (3,)
    assert torch.allclose(seen.probabilities, F.softmax(model(inputs.unsqueeze(0)), 1)[0])
    assert seen.layers[0].gradient is not None and seen.layers[0].gradient.shape == (2, 32, 32)


class OnePixel(nn.Module):
    """A classifier that looks at a single pixel: the red value at row 5, column 7."""

    def forward(self, x):
        value = x[:, 0, 5, 7]
        return torch.stack([3 * value, -3 * value], dim=1)


def test_the_saliency_marks_the_one_pixel_the_answer_depends_on() -> None:
    image = torch.randint(0, 256, (3, 32, 32), generator=torch.Generator().manual_seed(1), dtype=torch.uint8)
    seen = look(OnePixel(), image, label=0)
    assert seen.saliency.shape == (32, 32)
    assert seen.saliency[5, 7] > 0
    assert int(seen.saliency.argmax()) == 5 * 32 + 7
    assert torch.count_nonzero(seen.saliency) == 1


def test_without_a_label_the_gradient_is_of_the_predicted_class() -> None:
    image = torch.full((3, 32, 32), 255, dtype=torch.uint8)
    seen = look(OnePixel(), image, label=None)
    assert seen.target == 0 and seen.top(1)[0][0] == 0


def test_what_ifs_change_the_picture_as_named() -> None:
    image = known_image()
    assert torch.equal(what_if(image, "flipped"), image.flip(-1))
    shifted = what_if(image, "shifted")
    assert torch.equal(shifted[:, 10:, 10:], image[:, 6:-4, 6:-4])  # moved 4 right and 4 down
    assert torch.equal(what_if(image, "darker"), (image.float() / 2).round().to(torch.uint8))
    noisy = what_if(image, "noisier")
    assert not torch.equal(noisy, image) and torch.equal(noisy, what_if(image, "noisier"))  # the same noise every time
    with pytest.raises(ValueError):
        what_if(image, "rotated")


def test_a_subject_rebuilt_from_a_snapshot_computes_as_the_run_did() -> None:
    lesson = get_lesson(14)
    data = random_image_data(32, 8)
    events = list(train(lesson, lesson.settings({"epochs": "1", "device": "cpu"}), data=data))
    started = next(e for e in events if isinstance(e, RunStarted))
    last = [e for e in events if isinstance(e, WeightsSnapshot)][-1]
    torch.manual_seed(5)
    state = torch.get_rng_state()
    subject = Subject(lesson, started.settings, started.classes)
    subject.load(last.params, last.buffers, last.step)
    assert torch.equal(state, torch.get_rng_state())  # rebuilding draws no random numbers
    model = lesson.build_model(started.settings, 10).eval()
    model.load_state_dict(last.params)
    with torch.no_grad():
        expected = F.softmax(model(normalize(data.test_images[:4])), 1)
    assert torch.allclose(subject.classify(data.test_images[:4]), expected)
    seen = subject.look(data.test_images[0], int(data.test_labels[0]))
    assert [layer.name for layer in seen.layers] == ["conv1 + relu", "pool", "conv2 + relu", "pool #2", "fc1 + relu", "fc2 + relu"]
    assert seen.layers[0].values.shape == (10, 28, 28) and seen.step == last.step
    variants = subject.what_ifs(data.test_images[0])
    assert [name for name, _, _ in variants] == ["as it is", "flipped", "shifted", "noisier", "darker"]
    assert torch.allclose(variants[0][2], expected[0])


def test_a_small_network_shows_every_unit_on_every_sample() -> None:
    lesson = get_lesson(8)
    settings = lesson.settings()
    events = list(train(lesson, settings))
    last = [e for e in events if isinstance(e, WeightsSnapshot)][-1]
    subject = Subject(lesson, settings)
    subject.load(last.params, last.buffers, last.step, last.grads)
    seen = subject.network_look()
    assert [name for name, _, _, _ in seen.units] == ["linear1", "act1", "linear2", "act2"]
    model = lesson.build_model(settings)
    model.load_state_dict(last.params)
    inputs, targets = lesson.data(settings)
    hidden = model.linear1(inputs)
    assert torch.allclose(seen.units[0][2], hidden) and torch.allclose(seen.units[1][2], torch.sigmoid(hidden))
    assert seen.units[3][2].shape == (4, 1) and seen.units[3][3] is not None
    assert seen.loss == pytest.approx(F.mse_loss(model(inputs), targets).item())
    assert [name for name, _, _ in seen.parameters] == ["linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"]
    assert torch.equal(seen.parameters[0][2], last.grads["linear1.weight"])


def write_picture(path: Path, size=(61, 45), mode="RGBA") -> Path:
    """A picture file of an odd size and mode."""
    g = torch.Generator().manual_seed(2)
    channels = len(mode) if mode != "L" else 1
    pixels = torch.randint(0, 256, (size[1], size[0], channels), dtype=torch.uint8, generator=g).numpy()
    Image.fromarray(pixels.squeeze(-1) if mode == "L" else pixels, mode).save(path)
    return path


def test_any_picture_becomes_32x32_rgb_as_the_folder_dataset_reads_it(tmp_path: Path) -> None:
    from babytui.core.datasets.folder import read_image

    for name, mode in (("a.png", "RGBA"), ("b.jpg", "L"), ("c.bmp", "RGB")):
        path = write_picture(tmp_path / name, mode=mode)
        picture = load_picture(path)
        assert picture.shape == (3, 32, 32) and picture.dtype == torch.uint8
        assert picture.permute(1, 2, 0).contiguous().numpy().tobytes() == read_image(str(path))
    (tmp_path / "notes.txt").write_text("not a picture")
    for bad, message in ((tmp_path / "notes.txt", "cannot be read as a picture"), (tmp_path / "none.png", "no such file"), (tmp_path, "is a folder")):
        with pytest.raises(BabytuiError, match=message):
            load_picture(bad)


@pytest.fixture
def saved_run(tmp_path: Path) -> str:
    """A short saved run of lesson 14 on random images: its id."""
    lesson = get_lesson(14)
    session = Session(lesson, lesson.settings({"epochs": "1", "max_steps": "6", "device": "cpu"}), data=random_image_data(32, 8))
    for _ in session.events():
        pass
    assert session.run_id is not None
    return session.run_id


def test_predict_gives_the_top_3_of_the_model_on_that_picture(saved_run: str, tmp_path: Path, capsys) -> None:
    path = write_picture(tmp_path / "mine.png")
    assert main(["predict", "--run", saved_run, str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    # the same picture through the checkpoint's weights, by hand
    lesson = get_lesson(14)
    from babytui.core.runs import RunStore

    state = RunStore().find(saved_run).checkpoint(lesson)
    model = lesson.build_model(lesson.settings({"epochs": "1", "max_steps": "6", "device": "cpu"}), 10).eval()
    model.load_state_dict(state["model"])
    with torch.no_grad():
        probabilities = F.softmax(model(normalize(load_picture(path).unsqueeze(0))), 1)[0]
    values, indices = probabilities.topk(3)
    classes = random_image_data().classes
    top = result["images"][0]["top"]
    assert [t["class"] for t in top] == [classes[i] for i in indices.tolist()]
    assert [t["probability"] for t in top] == pytest.approx(values.tolist(), abs=1e-6)
    assert result["run"] == saved_run and result["step"] == 6


def test_predict_prints_the_top_3_and_what_if(saved_run: str, tmp_path: Path, capsys) -> None:
    path = write_picture(tmp_path / "mine.png")
    assert main(["predict", "--run", saved_run[:17], str(path), "--what-if"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"run {saved_run}: lesson 14, weights after 6 updates")
    assert out[1].startswith(f"{path}: ") and out[1].count("%") == 3
    assert [line.split(":")[0].strip() for line in out[2:]] == ["flipped", "shifted", "noisier", "darker"]


def test_predict_refuses_what_it_cannot_use(saved_run: str, tmp_path: Path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["predict", "--run", saved_run, str(tmp_path / "notes.txt")]) == 1
    assert "cannot be read as a picture" in capsys.readouterr().err
    assert main(["predict", "--run", "nosuchrun", str(tmp_path / "notes.txt")]) == 1
    assert "there is no run 'nosuchrun'" in capsys.readouterr().err
    small = Session(get_lesson(8), get_lesson(8).settings())
    for _ in small.events():
        pass
    with pytest.raises(RunError, match="pictures need a run of an image lesson"):
        saved_subject(small.run_id)

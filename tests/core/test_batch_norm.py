"""Lesson 19: batch norm normalizes by the batch in train mode and by its running statistics in eval mode."""

from __future__ import annotations

import torch
from torch import nn

from babytui.core.events import Note
from babytui.core.lessons import get_lesson
from babytui.core.lessons.l13_relu_deeper_gpu import DeepConvNet
from babytui.core.lessons.l19_batch_norm import BatchNormConvNet, train_mode_accuracy
from babytui.core.train import train
from image_data import random_image_data


def trained_bn_net() -> BatchNormConvNet:
    """Lesson 19's network after a few updates on random images: its running statistics have moved off 0 and 1."""
    torch.manual_seed(0)
    model = BatchNormConvNet(6, 8, 16, "relu", False, True)
    g = torch.Generator().manual_seed(1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    for _ in range(5):
        inputs = torch.randn(8, 3, 32, 32, generator=g) * 2 + 0.5
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(inputs), torch.randint(0, 10, (8,), generator=g)).backward()
        optimizer.step()
    return model


def bn1_input_and_output(model: nn.Module, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    seen = {}
    handle = model.bn1.register_forward_hook(lambda m, args, out: seen.update(x=args[0].detach(), y=out.detach()))
    with torch.no_grad():
        model(inputs)
    handle.remove()
    return seen["x"], seen["y"]


def by_hand(bn: nn.BatchNorm2d, x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
    shape = (1, -1, 1, 1)
    return (x - mean.view(shape)) / torch.sqrt(var.view(shape) + bn.eps) * bn.weight.view(shape) + bn.bias.view(shape)


def test_eval_mode_normalizes_with_the_running_statistics() -> None:
    model = trained_bn_net().eval()
    bn = model.bn1
    assert not torch.allclose(bn.running_mean, torch.zeros_like(bn.running_mean), atol=1e-3)
    x, y = bn1_input_and_output(model, torch.randn(6, 3, 32, 32, generator=torch.Generator().manual_seed(2)))
    assert torch.allclose(y, by_hand(bn, x, bn.running_mean, bn.running_var), atol=1e-5)


def test_train_mode_normalizes_with_the_batchs_own_statistics() -> None:
    model = trained_bn_net().train()
    bn = model.bn1
    x, y = bn1_input_and_output(model, torch.randn(6, 3, 32, 32, generator=torch.Generator().manual_seed(2)))
    mean, var = x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3), unbiased=False)  # each channel over the batch and the pixels
    assert torch.allclose(y, by_hand(bn, x, mean, var), atol=1e-4)
    assert not torch.allclose(y, by_hand(bn, x, bn.running_mean, bn.running_var), atol=1e-2)


def test_in_eval_mode_an_images_scores_do_not_depend_on_its_batch() -> None:
    model = trained_bn_net()
    images = torch.randn(8, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    images[0] += 2.0  # a brighter picture than the rest of its batch
    with torch.no_grad():
        model.eval()
        assert torch.allclose(model(images[:1]), model(images)[:1], atol=1e-5)
        model.train()
        assert not torch.allclose(model(images[:1]), model(images)[:1], atol=1e-3)


def test_scoring_in_train_mode_leaves_the_running_statistics_as_they_were() -> None:
    model = trained_bn_net().eval()
    before = {name: b.clone() for name, b in model.named_buffers()}
    data = random_image_data(test=20)
    accuracy = train_mode_accuracy(model, data.test_images, data.test_labels, 5)
    assert 0 <= accuracy <= 100 and not model.training
    assert all(torch.equal(b, before[name]) for name, b in model.named_buffers())


def test_without_batch_norm_it_is_lesson_14s_network() -> None:
    torch.manual_seed(7)
    ours = BatchNormConvNet(10, 20, 120, "relu", True, False)
    torch.manual_seed(7)
    theirs = DeepConvNet(10, 20, 120, "relu", True)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
    assert all(torch.equal(v, theirs.state_dict()[k]) for k, v in ours.state_dict().items())
    images = torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    assert torch.equal(ours(images), theirs(images))


def test_with_batch_norm_the_convolutions_lose_their_bias_to_bns_shift() -> None:
    model = BatchNormConvNet(10, 20, 120, "relu", False, True)
    assert model.conv1.bias is None and model.conv2.bias is None
    assert model.bn1.weight.shape == (10,) and model.bn2.bias.shape == (20,)


def epoch_notes(values: dict) -> list[str]:
    lesson = get_lesson(19)
    settings = lesson.settings({"device": "cpu", "epochs": "2", "hidden": "8", **values})
    events = train(lesson, settings, data=random_image_data(train=16, test=12))
    return [e.text for e in events if isinstance(e, Note) and e.heading.startswith("epoch")]


def test_each_epoch_note_scores_the_test_split_in_eval_and_in_train_mode() -> None:
    notes = epoch_notes({})
    assert len(notes) == 2
    for text in notes:
        assert "test accuracy in eval mode (running statistics) " in text and "%, in train mode (each batch's own) " in text
        assert "the first 12 test images one at a time: eval mode " in text
    assert not any("eval mode" in text for text in epoch_notes({"batch_norm": "no"}))  # nothing differs without BN

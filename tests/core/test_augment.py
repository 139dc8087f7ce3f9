"""Batch-wise crop and flip: shapes and labels kept, seeded, and really shifting and mirroring."""

import torch

from babytui.core.augment import augmentation_generator, crop_flip

torch.set_num_threads(1)
CPU = torch.device("cpu")


def batch(n=64):
    return torch.randint(1, 256, (n, 3, 8, 8), generator=torch.Generator().manual_seed(0), dtype=torch.int64).to(torch.uint8)


def test_shape_and_dtype_are_kept():
    x = batch()
    out = crop_flip(x, 2, True, augmentation_generator(0, 0, CPU))
    assert out.shape == x.shape and out.dtype == x.dtype


def test_the_same_seed_and_step_give_the_same_batch_and_another_step_another():
    x = batch()
    a = crop_flip(x, 2, True, augmentation_generator(3, 7, CPU))
    b = crop_flip(x, 2, True, augmentation_generator(3, 7, CPU))
    c = crop_flip(x, 2, True, augmentation_generator(3, 8, CPU))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_nothing_asked_changes_nothing():
    x = batch()
    assert torch.equal(crop_flip(x, 0, False, augmentation_generator(0, 0, CPU)), x)


def test_each_image_is_itself_shifted_with_zeros_coming_in():
    x = batch(200)
    out = crop_flip(x, 2, False, augmentation_generator(1, 0, CPU))
    shifted = 0
    for i in range(len(x)):
        found = False
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                padded = torch.nn.functional.pad(x[i], (2, 2, 2, 2))
                window = padded[:, 2 + dy : 2 + dy + 8, 2 + dx : 2 + dx + 8]
                if torch.equal(window, out[i]):
                    found = True
                    shifted += (dy, dx) != (0, 0)
        assert found, f"image {i} is not a shifted copy of itself"
    assert shifted > 150  # 24 of 25 shifts move the image


def test_about_half_are_mirrored():
    x = batch(400)
    out = crop_flip(x, 0, True, augmentation_generator(2, 0, CPU))
    mirrored = sum(torch.equal(out[i], x[i].flip(-1)) for i in range(len(x)))
    kept = sum(torch.equal(out[i], x[i]) for i in range(len(x)))
    assert mirrored + kept == len(x)
    assert 150 < mirrored < 250


def test_a_run_with_augmentation_trains_and_is_the_same_twice():
    from babytui.core.control import Control
    from babytui.core.events import Finished
    from babytui.core.lessons import get_lesson
    from babytui.core.train import train

    l14 = get_lesson(14)
    s = l14.defaults.replace(dataset="shapes", epochs=1, max_steps=12, batch_size=8, crop_pad=2, flip=True,
                             label_smoothing=0.1, device="cpu")

    def final():
        return [e for e in train(l14, s, control=Control()) if isinstance(e, Finished)][0]

    a, b = final(), final()
    assert a.steps == 12 and a.final_loss == b.final_loss
    plain = [e for e in train(l14, s.replace(crop_pad=0, flip=False), control=Control()) if isinstance(e, Finished)][0]
    assert plain.final_loss != a.final_loss  # the network was fed other pictures

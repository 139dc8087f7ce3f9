"""A generated image dataset for working offline: ten classes of shapes and patterns.

Torch only and self-contained: `babytui export` copies this module's source into the
exported script, so the script draws exactly the same images for the same seed.
"""

import functools

import torch

SHAPES_CLASSES = (
    "circle", "square", "triangle", "cross", "ring",
    "h-stripes", "v-stripes", "diagonal", "checker", "dots",
)
"""Class names of the shapes dataset, indexed by label."""

_CHUNK = 4096
"""Images drawn at once: bounds the temporaries to a few tens of MB."""


def _class_mask(label: int, dx: torch.Tensor, dy: torch.Tensor, s: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
    """Where class `label` paints its shape: (n, H, W) bool.

    dx and dy are (n, H, W) offsets from the centre; s and extra are (n, 1, 1).
    """
    ax, ay = dx.abs(), dy.abs()
    box = (ax < s) & (ay < s)  # (n, H, W): the patch a pattern fills
    w = 6.2832 / (3.0 + 3.0 * extra)  # stripes with a period of 3 to 6 pixels
    phase = 6.2832 * extra
    if label == 0:  # circle
        return dx * dx + dy * dy < s * s
    if label == 1:  # square
        return (ax < s * 0.8) & (ay < s * 0.8)
    if label == 2:  # triangle, point up
        return ((dy < s * 0.7) & (dy > -s)) & (ax < (dy + s) * 0.55)
    if label == 3:  # cross
        arm = (s * 0.3).clamp(min=1.0)
        return ((ax < arm) & (ay < s)) | ((ay < arm) & (ax < s))
    if label == 4:  # ring
        d2 = dx * dx + dy * dy
        return (d2 < s * s) & (d2 > s * s * 0.36)
    if label == 5:  # horizontal stripes
        return box & (torch.sin(dy * w + phase) > 0)
    if label == 6:  # vertical stripes
        return box & (torch.sin(dx * w + phase) > 0)
    if label == 7:  # diagonal stripes
        return box & (torch.sin((dx + dy) * (w * 0.7071) + phase) > 0)
    if label == 8:  # checker
        return box & (torch.sin(dx * w + phase) * torch.sin(dy * w + phase) > 0)
    # dots on a grid
    return box & (torch.cos(dx * w + phase) + torch.cos(dy * w + phase) > 1.0)


_SIZES = 6
"""Sizes of each shape, from a half-width of 4 to 11 pixels."""
_VARIANTS = 4
"""Stripe periods and phases of each pattern."""
_STEP = 2
"""Pixels between the positions a shape can take."""
_POSITIONS = 8
"""Positions along each axis: the centre moves over _FIRST to _FIRST + _STEP * 7."""
_FIRST = 9
"""The first position of a centre, in pixels from the edge."""
_SWAP = 0.2
"""Share of images drawn dark on light rather than light on dark."""


@functools.lru_cache(maxsize=1)
def _stencils() -> torch.Tensor:
    """Every shape at every size, variant and position: (classes * sizes * variants * positions^2, 1024) bool.

    Drawn once, centred in 52x52 squares, then cut into 32x32 windows; an image's shape is one row.
    """
    classes = len(SHAPES_CLASSES)
    count = classes * _SIZES * _VARIANTS
    label = torch.arange(classes).repeat_interleave(_SIZES * _VARIANTS)
    size = (4.0 + 7.0 * torch.arange(_SIZES) / (_SIZES - 1)).repeat_interleave(_VARIANTS).repeat(classes)
    extra = ((torch.arange(_VARIANTS) + 0.5) / _VARIANTS).repeat(classes * _SIZES)
    coords = torch.arange(52, dtype=torch.float32) - 25.5
    dx = coords.view(1, 1, 52).expand(count, 52, 52).contiguous()  # full grids: broadcasting bools is slow
    dy = coords.view(1, 52, 1).expand(count, 52, 52).contiguous()
    centred = torch.empty(count, 52, 52, dtype=torch.bool)
    for k in range(classes):
        idx = (label == k).nonzero().squeeze(1)
        centred[idx] = _class_mask(k, dx[idx], dy[idx], size[idx].view(-1, 1, 1), extra[idx].view(-1, 1, 1))
    # A window starting at o shows the centre at 26 - o.
    centred = centred.view(torch.uint8)  # copying bytes is faster than copying bools
    windows = torch.empty(count, _POSITIONS, _POSITIONS, 32, 32, dtype=torch.uint8)
    for i in range(_POSITIONS):
        for j in range(_POSITIONS):
            oy, ox = 26 - _FIRST - _STEP * i, 26 - _FIRST - _STEP * j
            windows[:, i, j] = centred[:, oy : oy + 32, ox : ox + 32]
    return windows.view(-1, 1024).view(torch.bool)


def _noise_bank(g: torch.Generator) -> torch.Tensor:
    """Grey pixel noise at four strengths: (4 * 1024, 1, 32, 32) int16, standard deviations 15 to 60."""
    noise = torch.randn(1, 1024, 1, 32, 32, generator=g)
    levels = torch.tensor([15.0, 30.0, 45.0, 60.0]).view(4, 1, 1, 1, 1)
    return (noise * levels).round_().to(torch.int16).view(-1, 1, 32, 32)


def _draw(labels: torch.Tensor, g: torch.Generator, stencils: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """uint8 images (n, 3, 32, 32) for these labels, drawing every random number from `g`."""
    n = len(labels)
    # Every random draw happens here, in a fixed order, so the images depend on the seed alone.
    shape = torch.randint(0, _SIZES * _VARIANTS, (n,), generator=g)
    position = torch.randint(0, _POSITIONS * _POSITIONS, (n,), generator=g)
    background = 0.45 * torch.rand(n, 3, generator=g)
    tilt = torch.rand(n, 3, generator=g) - 0.5
    foreground = 0.55 + 0.45 * torch.rand(n, 3, generator=g)
    swap = torch.rand(n, generator=g) < _SWAP
    clutter = torch.randint(0, 2 * _VARIANTS, (n,), generator=g)  # a square of the two smallest sizes
    clutter_position = torch.randint(0, _POSITIONS * _POSITIONS, (n,), generator=g)
    clutter_colour = torch.rand(n, 3, generator=g)
    noise_field = torch.randint(0, len(noise), (n,), generator=g)

    # The shape is lighter than the background (or darker, when swapped), so it always shows.
    background[swap], foreground[swap] = 1.0 - background[swap], 1.0 - foreground[swap]

    per_label = _SIZES * _VARIANTS * _POSITIONS**2
    shape_mask = stencils[labels * per_label + shape * _POSITIONS**2 + position]  # (n, 1024)
    square = SHAPES_CLASSES.index("square")
    clutter_mask = stencils[square * per_label + clutter * _POSITIONS**2 + clutter_position] & ~shape_mask

    def colour(c: torch.Tensor) -> torch.Tensor:
        return c.mul(255.0).round_().to(torch.int16)

    ramp = (torch.arange(32, dtype=torch.float32) / 31.0 - 0.5).view(1, 1, 1, 32)
    back = colour((background.view(n, 3, 1, 1) + tilt.view(n, 3, 1, 1) * ramp).clamp_(0, 1))  # (n, 3, 1, 32)
    # Integer arithmetic, not torch.where: several times faster on the CPU.
    images = shape_mask.view(n, 1, 32, 32).to(torch.int16) * (colour(foreground).view(n, 3, 1, 1) - back)
    images += clutter_mask.view(n, 1, 32, 32).to(torch.int16) * (colour(clutter_colour).view(n, 3, 1, 1) - back)
    images += back
    images += noise[noise_field]  # the same grey noise on all three channels
    return images.clamp_(0, 255).to(torch.uint8)


def make_shapes(count: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` images (uint8, (count, 3, 32, 32)) and labels (int64), the same for the same seed."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # these small ops lose more to thread hand-offs than they gain
    try:
        g = torch.Generator().manual_seed(seed)
        stencils = _stencils()
        noise = _noise_bank(g)
        labels = torch.randint(0, len(SHAPES_CLASSES), (count,), generator=g)
        images = torch.empty(count, 3, 32, 32, dtype=torch.uint8)
        for start in range(0, count, _CHUNK):
            images[start : start + _CHUNK] = _draw(labels[start : start + _CHUNK], g, stencils, noise)
    finally:
        torch.set_num_threads(threads)
    return images, labels

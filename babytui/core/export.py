"""One standalone PyTorch script per lesson and settings: what `babytui export` writes and
the app shows as the lesson's code. The scripts need torch only (and torchvision's numpy).
"""

from __future__ import annotations

from string import Template

from .lessons import BATCH_INPUTS, Lesson
from .settings import Settings

_ACT = {"sigmoid": "torch.sigmoid", "relu": "torch.relu", "tanh": "torch.tanh"}
_ACT_MODULE = {"sigmoid": "nn.Sigmoid()", "relu": "nn.ReLU()", "tanh": "nn.Tanh()"}


def _floats(values: tuple[float, ...]) -> str:
    return "[" + ", ".join(repr(float(v)) for v in values) + "]"


def _header(lesson: Lesson, s: Settings) -> str:
    shown = ", ".join(f"{name}={getattr(s, name)!r}" for name in lesson.fields)
    return (
        f'"""babytui lesson {lesson.number}: {lesson.title}.\n\n'
        f"Exported by `babytui export --lesson {lesson.number}` with {shown or 'the defaults'}.\n"
        'It runs on its own: python this_file.py\n"""\n'
    )


def render_script(lesson: Lesson, settings: Settings) -> str:
    """The lesson as one runnable Python script with these settings baked in."""
    s = settings
    n = lesson.number
    if n == 1:
        body = _TENSORS.substitute(X=_floats(s.x))
    elif n <= 4:
        body = _FIRST_STEPS.substitute(X=_floats(s.x), SEED=s.seed, TARGET=repr(float(s.target)))
        body = _cut_after(body, {2: "# -- loss", 3: "# -- gradient", 4: None}[n])
        if n == 4:
            body = body.replace("])  # (1, F)", "], requires_grad=True)  # (1, F); ask for x.grad", 1)
    elif n == 5:
        body = _ONE_UPDATE.substitute(X=_floats(s.x), SEED=s.seed, TARGET=repr(float(s.target)), LR=repr(s.lr))
    elif n <= 9:
        body = _tiny_loop(lesson, s)
    else:
        body = _image_script(lesson, s)
    return _header(lesson, s) + body


def _cut_after(body: str, marker: str | None) -> str:
    if marker is None:
        return body
    return body[: body.index(marker)].rstrip() + "\n"


_TENSORS = Template(
    """
import torch

# A 1-D tensor: a row of numbers.
x1 = torch.tensor($X)
print("x1 =", x1)
print("x1[0] =", x1[0])

# Two rows make a 2-D tensor of shape (2, n); two of those a 3-D tensor (2, 2, n).
n = len(x1)
x2 = torch.stack([x1, x1 + n])
x3 = torch.stack([x2, x2 + 2 * n])
print("x2 =", x2, "shape", tuple(x2.shape))
print("x2[0][0] =", x2[0][0])  # first entry of the first row
print("x2[0] =", x2[0])  # the whole first row
print("x2[:, 2] =", x2[:, min(2, n - 1)])  # third entry of every row
print("x3 =", x3, "shape", tuple(x3.shape))
print("x3[0][0][0] =", x3[0][0][0])
print("x3[:, 0, 0] =", x3[:, 0, 0])  # first entry of the first row of each block
print("x3[0, :, 0] =", x3[0, :, 0])  # first entry of each row of the first block
print("x3[0][0] =", x3[0][0])

# The smallest model there is: y = x.
y = x1
print("y =", y)
"""
)

_FIRST_STEPS = Template(
    """
import torch
from torch import nn

torch.manual_seed($SEED)  # same seed, same starting weights
x = torch.tensor([$X])  # (1, F): one sample of F features
model = nn.Linear(x.shape[1], 1)  # y = w . x + b
prediction = model(x)  # (1, 1)
print("weight", model.weight.data, "bias", model.bias.data)
print("prediction", prediction.item())

# -- loss: how far the prediction is from what we want
target = torch.tensor([[$TARGET]])  # (1, 1), the same shape as the prediction
loss_fn = nn.MSELoss()
loss = loss_fn(prediction, target)
print(f"final loss: {loss.item():.8g}")

# -- gradient: d(loss)/d(every tensor that asked for it)
print("x.grad before backward():", x.grad)
loss.backward()
print("x.grad after backward():", x.grad[0])
print("weight.grad:", model.weight.grad[0], "bias.grad:", model.bias.grad)
"""
)

_ONE_UPDATE = Template(
    """
import torch
from torch import nn

torch.manual_seed($SEED)
x = torch.tensor([$X])  # (1, F)
target = torch.tensor([[$TARGET]])  # (1, 1)
model = nn.Linear(x.shape[1], 1)
loss_fn = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=$LR)

print("before: weight", model.weight.data, "bias", model.bias.data)
print("before: output", model(x).item())

optimizer.zero_grad()
loss = loss_fn(model(x), target)
loss.backward()
optimizer.step()  # weight -= lr * weight.grad, the same for the bias
print(f"step 1 loss {loss.item():.6f}")

print("after: weight", model.weight.data, "bias", model.bias.data)
print("after: output", model(x).item())
with torch.no_grad():
    final = loss_fn(model(x), target).item()
print(f"final loss: {final:.8g}")
"""
)


def _tiny_loop(lesson: Lesson, s: Settings) -> str:
    """Lessons 6-9: epochs of mini-batches over a handful of samples."""
    n = lesson.number
    lines = ["", "import argparse", "", "import torch", "from torch import nn", ""]
    lines += [
        "parser = argparse.ArgumentParser()",
        f"parser.add_argument('--epochs', type=int, default={s.epochs})",
        f"parser.add_argument('--lr', type=float, default={s.lr!r})",
        f"parser.add_argument('--max-steps', type=int, default={s.max_steps}, help='stop after this many updates (0: no limit)')",
        "args = parser.parse_args()",
        "",
        f"torch.manual_seed({s.seed})",
    ]
    if n == 6:
        lines += [
            f"inputs = torch.tensor([{_floats(s.x)}])  # (1, F): a single sample",
            f"targets = torch.tensor([[{float(s.target)!r}]])  # (1, 1)",
            "BATCH_SIZE = 1",
        ]
    else:
        rows = ",\n    ".join(_floats(r) for r in BATCH_INPUTS)
        lines += [
            f"inputs = torch.tensor([\n    {rows},\n])  # (4, 4): four samples, four features",
            f"targets = torch.tensor({_floats(s.targets)}).unsqueeze(1)  # (4, 1): the same shape as the output",
            f"BATCH_SIZE = {s.batch_size}",
        ]
    out_act = s.output_activation
    if n in (6, 7):
        lines += [f"model = nn.Linear({len(s.x) if n == 6 else 4}, 1)", "params = model.parameters()"]
    elif n == 8:
        act = _ACT_MODULE[s.activation]
        lines += [
            f"layer1 = nn.Linear(4, {s.hidden})",
            f"activation = {act}",
            f"layer2 = nn.Linear({s.hidden}, 1)",
            "",
            "",
            "def model(x):",
            "    x = activation(layer1(x))  # (B, hidden)",
            "    x = layer2(x)  # (B, 1)",
            "    return activation(x)" if out_act else "    return x",
            "",
            "",
        ]
        if s.first_layer_only:
            lines.append("params = layer1.parameters()  # the tutorial's slip: layer2 never learns")
        else:
            lines.append("params = list(layer1.parameters()) + list(layer2.parameters())  # every layer learns")
    else:
        act = _ACT[s.activation]
        lines += [
            "",
            "",
            "class Net(nn.Module):",
            "    def __init__(self):",
            "        super().__init__()",
            f"        self.fc1 = nn.Linear(4, {s.hidden})",
            f"        self.fc2 = nn.Linear({s.hidden}, 1)",
            "",
            "    def forward(self, x):",
            f"        x = {act}(self.fc1(x))  # (B, hidden)",
            "        x = self.fc2(x)  # (B, 1)",
            f"        return {act}(x)" if out_act else "        return x",
            "",
            "",
            "model = Net()",
            "params = model.parameters()",
        ]
    goal = f"{s.target:g}" if n == 6 else ", ".join(f"{t:g}" for t in s.targets)
    lines += [
        "loss_fn = nn.MSELoss()",
        "optimizer = torch.optim.SGD(params, lr=args.lr)",
        "",
        "with torch.no_grad():",
        "    print('output before training:', model(inputs).squeeze(1).tolist())",
        "step = 0",
        "total = args.epochs * ((len(inputs) + BATCH_SIZE - 1) // BATCH_SIZE)",
        "if args.max_steps:",
        "    total = min(total, args.max_steps)",
        "for epoch in range(1, args.epochs + 1):",
        "    for start in range(0, len(inputs), BATCH_SIZE):",
        "        if step >= total:",
        "            break",
        "        optimizer.zero_grad()  # gradients add up unless cleared",
        "        loss = loss_fn(model(inputs[start:start + BATCH_SIZE]), targets[start:start + BATCH_SIZE])",
        "        loss.backward()",
        "        optimizer.step()",
        "        step += 1",
        "        if step <= 5 or step == total or step % max(1, total // 20) == 0:",
        "            with torch.no_grad():",
        "                outputs = model(inputs).squeeze(1)",
        "            print(f'epoch {epoch} update {step} loss {loss.item():.6f} output',"
        f" [round(v, 4) for v in outputs.tolist()], 'should be getting closer to [{goal}]')",
        "",
        "with torch.no_grad():",
        "    final = loss_fn(model(inputs), targets).item()",
        "print(f'final loss: {final:.8g}')",
    ]
    return "\n".join(lines) + "\n"


_CIFAR10_LOADER = '''
def load_data(root):
    """CIFAR-10's pickled batches (the layout torchvision downloads) as uint8 tensors."""
    folder = Path(root).expanduser()
    if (folder / "cifar-10-batches-py").is_dir():
        folder = folder / "cifar-10-batches-py"

    def read(names):
        images, labels = [], []
        for name in names:
            with open(folder / name, "rb") as f:
                batch = pickle.load(f, encoding="latin1")
            images.append(torch.as_tensor(batch["data"], dtype=torch.uint8).view(-1, 3, 32, 32))
            labels.append(torch.as_tensor(batch["labels"], dtype=torch.int64))
        return torch.cat(images), torch.cat(labels)

    train = read([f"data_batch_{i}" for i in range(1, 6)])
    test = read(["test_batch"])
    return train, test, 10
'''

_FOLDER_LOADER = '''
def load_data(root):
    """A folder with one sub-folder of images per class (optionally under train/ and test/), as uint8 tensors."""
    root = Path(root).expanduser()

    def subfolders(folder):
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))

    names = [p.name for p in subfolders(root)]
    split = "train" in names and "test" in names
    if split:
        train_dirs = {p.name: p for p in subfolders(root / "train")}
        test_dirs = {p.name: p for p in subfolders(root / "test")}
        classes = sorted(set(train_dirs) | set(test_dirs))
    else:
        train_dirs, test_dirs = {p.name: p for p in subfolders(root)}, {}
        classes = sorted(train_dirs)

    def read(dirs):
        images, labels = [], []
        for label, name in enumerate(classes):
            if name not in dirs:
                continue
            for entry in sorted(os.scandir(dirs[name]), key=lambda e: e.name):
                if entry.name.startswith(".") or os.path.splitext(entry.name)[1].lower() not in IMAGE_EXTENSIONS:
                    continue
                pixels = read_image(entry.path) if entry.is_file() else None
                if pixels is not None:  # unreadable files are skipped
                    images.append(pixels)
                    labels.append(label)
        images = torch.frombuffer(bytearray(b"".join(images)), dtype=torch.uint8)
        return images.view(-1, 32, 32, 3).permute(0, 3, 1, 2).contiguous(), torch.tensor(labels, dtype=torch.int64)

    train_images, train_labels = read(train_dirs)
    if split:
        test_images, test_labels = read(test_dirs)
    else:
        train_idx, test_idx = split_by_seed(len(train_images))
        test_images, test_labels = train_images[test_idx], train_labels[test_idx]
        train_images, train_labels = train_images[train_idx], train_labels[train_idx]
    return (train_images, train_labels), (test_images, test_labels), len(classes)
'''


def _module_body(module) -> str:
    """A module's source without its docstring and imports: for pasting into a script."""
    import inspect

    lines = inspect.getsource(module).splitlines()
    start = 0
    # Skip the module docstring and the import lines at the top.
    if lines and lines[0].startswith('"""'):
        start = next(i for i, line in enumerate(lines) if line.rstrip().endswith('"""') and (i > 0 or line.count('"""') == 2)) + 1
    while start < len(lines) and (not lines[start].strip() or lines[start].startswith(("import ", "from "))):
        start += 1
    return "\n".join(lines[start:]) + "\n"


def _shapes_loader() -> str:
    from . import data, shapes

    return (
        "\n# The generated shapes dataset, the very code babytui draws it with: same seed, same images.\n"
        + _module_body(shapes)
        + f"\n\nSHAPES_TRAIN_SIZE, SHAPES_TEST_SIZE, SHAPES_SEED = {data.SHAPES_TRAIN_SIZE}, {data.SHAPES_TEST_SIZE}, {data.SHAPES_SEED}\n"
        "\n\ndef load_data(root):\n"
        '    """The generated shapes dataset as uint8 tensors (root is not used: nothing is read)."""\n'
        "    train = make_shapes(SHAPES_TRAIN_SIZE, SHAPES_SEED)\n"
        "    test = make_shapes(SHAPES_TEST_SIZE, SHAPES_SEED + 1)\n"
        "    return train, test, len(SHAPES_CLASSES)\n"
    )


def _folder_loader() -> str:
    import inspect

    from . import folder

    return (
        f"\nIMAGE_EXTENSIONS = {tuple(sorted(folder.IMAGE_EXTENSIONS))!r}\n"
        f"TEST_SHARE, SPLIT_SEED = {folder.TEST_SHARE!r}, {folder.SPLIT_SEED!r}\n\n\n"
        + inspect.getsource(folder.read_image)
        + "\n\n"
        + inspect.getsource(folder.split_by_seed)
        + "\n"
        + _FOLDER_LOADER
    )


def data_loader_source(s: Settings) -> str:
    """Source of `load_data(root)` returning uint8 images and int64 labels for both splits."""
    if s.dataset == "shapes":
        return _shapes_loader()
    if s.dataset == "folder":
        return _folder_loader()
    return _CIFAR10_LOADER


def _data_imports(s: Settings) -> str:
    """The imports the data loader of `s.dataset` needs beyond the training code's."""
    if s.dataset == "shapes":
        return "import functools\n"
    if s.dataset == "folder":
        return "import os\n"
    return ""


def _net_source(lesson: Lesson, s: Settings) -> str:
    act = _ACT[s.activation]
    out = f"        return {act}(x)" if s.output_activation else "        return x  # raw scores (logits)"
    n = lesson.number
    if n == 10:
        layers = [f"self.fc1 = nn.Linear(3 * 32 * 32, {s.hidden})", f"self.fc2 = nn.Linear({s.hidden}, num_classes)"]
        forward = ["x = x.flatten(1)  # (B, 3072)", f"x = {act}(self.fc1(x))  # (B, {s.hidden})"]
    elif n == 11:
        c = s.conv1_channels
        layers = [
            f"self.conv1 = nn.Conv2d(3, {c}, 5)",
            f"self.fc1 = nn.Linear({c} * 28 * 28, {s.hidden})",
            f"self.fc2 = nn.Linear({s.hidden}, num_classes)",
        ]
        forward = [
            f"x = {act}(self.conv1(x))  # (B, {c}, 28, 28)",
            "x = x.flatten(1)",
            f"x = {act}(self.fc1(x))",
        ]
    elif n == 12:
        c = s.conv1_channels
        layers = [
            f"self.conv1 = nn.Conv2d(3, {c}, 5)",
            "self.pool = nn.MaxPool2d(2, 2)",
            f"self.fc1 = nn.Linear({c} * 14 * 14, {s.hidden})",
            f"self.fc2 = nn.Linear({s.hidden}, num_classes)",
        ]
        forward = [
            f"x = self.pool({act}(self.conv1(x)))  # (B, {c}, 14, 14)",
            "x = x.flatten(1)",
            f"x = {act}(self.fc1(x))",
        ]
    else:
        c1, c2 = s.conv1_channels, s.conv2_channels
        layers = [
            f"self.conv1 = nn.Conv2d(3, {c1}, 5)",
            "self.pool = nn.MaxPool2d(2, 2)",
            f"self.conv2 = nn.Conv2d({c1}, {c2}, 5)",
            f"self.fc1 = nn.Linear({c2} * 5 * 5, {s.hidden})",
            f"self.fc2 = nn.Linear({s.hidden}, num_classes)",
        ]
        forward = [
            f"x = self.pool({act}(self.conv1(x)))  # (B, {c1}, 14, 14)",
            f"x = self.pool({act}(self.conv2(x)))  # (B, {c2}, 5, 5)",
            "x = x.flatten(1)",
            f"x = {act}(self.fc1(x))",
        ]
    forward.append("x = self.fc2(x)  # (B, classes)")
    return (
        "class Net(nn.Module):\n"
        "    def __init__(self, num_classes):\n"
        "        super().__init__()\n"
        + "".join(f"        {line}\n" for line in layers)
        + "\n    def forward(self, x):\n"
        + "".join(f"        {line}\n" for line in forward)
        + out
        + "\n"
    )


_IMAGE_MAIN = Template(
    '''
parser = argparse.ArgumentParser()
parser.add_argument("--data-root", default=$DATA_ROOT, help=$DATA_HELP)
parser.add_argument("--device", default=$DEVICE, help="auto, cpu, cuda or mps")
parser.add_argument("--epochs", type=int, default=$EPOCHS)
parser.add_argument("--max-steps", type=int, default=$MAX_STEPS, help="stop after this many updates (0: no limit)")
args = parser.parse_args()

if args.device == "auto":
    if torch.cuda.is_available():
        args.device = "cuda"
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        args.device = "mps"
    else:
        args.device = "cpu"
device = torch.device(args.device)


def normalize(images):
    """uint8 pixels 0-255 to floats in [-1, 1], done on the device."""
    return images.float().div_(127.5).sub_(1.0)


@torch.inference_mode()
def evaluate(model, images, labels):
    """Mean loss and accuracy (percent) on a whole split, 100 images at a time."""
    model.eval()
    loss_sum, correct = torch.zeros((), device=device), torch.zeros((), device=device)
    for i in range(0, len(images), 100):
        outputs = model(normalize(images[i:i + 100]))
        loss_sum += F.cross_entropy(outputs, labels[i:i + 100], reduction="sum")
        correct += (outputs.argmax(1) == labels[i:i + 100]).sum()
    model.train()
    return loss_sum.item() / len(images), 100.0 * correct.item() / len(images)


# The whole dataset lives on the device as uint8; a batch is a slice of a shuffled index.
(train_images, train_labels), (test_images, test_labels), num_classes = load_data(args.data_root)
train_images, train_labels = train_images.to(device), train_labels.to(device)  # (N, 3, 32, 32), (N,)
test_images, test_labels = test_images.to(device), test_labels.to(device)

torch.manual_seed($SEED)
model = Net(num_classes).to(device)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=$LR)
shuffle = torch.Generator().manual_seed($SEED)  # on the CPU, so every device shuffles alike

BATCH_SIZE = $BATCH_SIZE
n = len(train_images)
total = args.epochs * math.ceil(n / BATCH_SIZE)
if args.max_steps:
    total = min(total, args.max_steps)
step = 0
started = time.perf_counter()
for epoch in range(1, args.epochs + 1):
    losses = []
    perm = torch.randperm(n, generator=shuffle).to(device)
    for idx in perm.split(BATCH_SIZE):
        if step >= total:
            break
        inputs = normalize(train_images[idx])  # (B, 3, 32, 32)
        labels = train_labels[idx]  # (B,)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        optimizer.step()
        step += 1
        losses.append(loss.detach())  # no .item() here: that would wait for the GPU every step
        if step % 2000 == 0:
            rate = step * BATCH_SIZE / (time.perf_counter() - started)
            print(f"epoch {epoch} step {step}/{total} loss {torch.stack(losses[-2000:]).mean().item():.4f} "
                  f"({rate:.0f} images/s)")
    if not losses:
        break
    train_loss = torch.stack(losses).mean().item()
    test_loss, accuracy = evaluate(model, test_images, test_labels)
    print(f"epoch {epoch}: train loss {train_loss:.4f}, test loss {test_loss:.4f}, test accuracy {accuracy:.2f}%")
    if step >= total:
        break

print(f"final loss: {train_loss:.8g}")
print(f"test accuracy: {accuracy:.2f}%")
'''
)


_DATA_HELP = {
    "cifar10": "folder holding cifar-10-batches-py",
    "shapes": "not used: the shapes are generated",
    "folder": "folder of images, one sub-folder per class",
}


def _image_script(lesson: Lesson, s: Settings) -> str:
    """Lessons 10-14: a network trained on images held as tensors on the device."""
    head = (
        "\nimport argparse\n" + _data_imports(s) + "import math\nimport pickle\nimport time\nfrom pathlib import Path\n\n"
        "import torch\nfrom torch import nn\nfrom torch.nn import functional as F\n\n"
    )
    from .data import default_data_root

    main = _IMAGE_MAIN.substitute(
        DATA_ROOT=repr(s.data_root or ("" if s.dataset == "shapes" else str(default_data_root()))),
        DATA_HELP=repr(_DATA_HELP.get(s.dataset, _DATA_HELP["cifar10"])),
        DEVICE=repr(s.device),
        EPOCHS=s.epochs,
        MAX_STEPS=s.max_steps,
        SEED=s.seed,
        LR=repr(s.lr),
        BATCH_SIZE=s.batch_size,
    )
    return head + data_loader_source(s).lstrip("\n") + "\n\n" + _net_source(lesson, s) + "\n" + main

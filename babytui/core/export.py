"""One standalone PyTorch script per lesson and settings: what `babytui export` writes and the
app shows as the lesson's code. A lesson writes its own body (`Lesson.script`); the image
lessons share the loop here, with their network's class and the dataset's loader copied in.
The scripts need torch only (and torchvision's numpy for the folder loader's Pillow).
"""

from __future__ import annotations

import inspect
import re
from string import Template
from typing import TYPE_CHECKING, Any

from .settings import Settings

if TYPE_CHECKING:
    from .lessons import Lesson
    from .lessons.images import ImageLesson


def header(lesson: Lesson, s: Settings) -> str:
    """The script's docstring: which lesson, with which settings."""
    shown = ", ".join(f"{name}={getattr(s, name)!r}" for name in lesson.fields)
    return (
        f'"""babytui lesson {lesson.number}: {lesson.title}.\n\n'
        f"Exported by `babytui export --lesson {lesson.number}` with {shown or 'the defaults'}.\n"
        'It runs on its own: python this_file.py\n"""\n'
    )


def render_script(lesson: Lesson, settings: Settings) -> str:
    """The lesson as one runnable Python script with these settings baked in."""
    return header(lesson, settings) + lesson.script(settings)


def source_of(obj: Any) -> str:
    """The source of a function or class as the script shows it: a lesson's network as a plain nn.Module."""
    source = inspect.getsource(obj).rstrip() + "\n"
    return re.sub(r"^class (\w+)\(Network\):", r"class \1(nn.Module):", source, count=1, flags=re.M)


def call(name: str, kwargs: dict[str, Any]) -> str:
    """`Name(a=1, b='x')`: how the script builds its network."""
    return f"{name}(" + ", ".join(f"{key}={value!r}" for key, value in kwargs.items()) + ")"


def _imports(*blocks: str) -> str:
    """Import lines merged and sorted: plain imports first, then from-imports."""
    lines = {line.strip() for block in blocks for line in block.splitlines() if line.strip()}
    plain = sorted(line for line in lines if line.startswith("import "))
    froms = sorted(line for line in lines if line.startswith("from "))
    return "\n".join(plain + froms) + "\n"


IMAGE_MAIN = Template(
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
        inputs = normalize(images[i:i + 100])
$EVAL_CHANNELS_LAST
        outputs = model(inputs)
$TTA
        loss_sum += F.cross_entropy(outputs, labels[i:i + 100], reduction="sum")
        correct += (outputs.argmax(1) == labels[i:i + 100]).sum()
    model.train()
    return loss_sum.item() / len(images), 100.0 * correct.item() / len(images)


# The whole dataset lives on the device as uint8; a batch is a slice of a shuffled index.
try:
    (train_images, train_labels), (test_images, test_labels), num_classes = load_data(args.data_root)
except OSError as exc:  # no dataset there: one line, not a traceback
    raise SystemExit(f"cannot read the dataset from {args.data_root}: {exc.strerror or exc}"
                     f"{f' ({exc.filename})' if exc.filename else ''}; give its folder with --data-root DIR")
$CARVE
train_images, train_labels = train_images.to(device), train_labels.to(device)  # (N, 3, 32, 32), (N,)
test_images, test_labels = test_images.to(device), test_labels.to(device)

torch.manual_seed($SEED)
model = $MODEL.to(device)
$MODEL_CHANNELS_LAST
loss_fn = nn.CrossEntropyLoss($LOSS_ARGS)
optimizer = $OPTIMIZER
shuffle = torch.Generator().manual_seed($SEED)  # on the CPU, so every device shuffles alike

BATCH_SIZE = $BATCH_SIZE
n = len(train_images)
steps_per_epoch = math.ceil(n / BATCH_SIZE)
total = args.epochs * steps_per_epoch
if args.max_steps:
    total = min(total, args.max_steps)
$SCHEDULER
$BEFORE
step = 0
started = time.perf_counter()
for epoch in range(1, args.epochs + 1):
    losses = []
    perm = torch.randperm(n, generator=shuffle).to(device)
    for idx in perm.split(BATCH_SIZE):
        if step >= total:
            break
$AUGMENT
        inputs = normalize($BATCH)  # (B, 3, 32, 32)
        labels = train_labels[idx]  # (B,)
$INPUTS_CHANNELS_LAST
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        optimizer.step()
$SCHEDULER_STEP
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
$EPOCH_END
    if step >= total:
        break

$AFTER
print(f"final loss: {train_loss:.8g}")
print(f"test accuracy: {accuracy:.2f}%")
'''
)


def image_blocks(s: Settings) -> dict[str, str]:
    """The parts of the image loop that follow the settings: validation, augmentation, loss, optimizer, schedule, early stopping."""
    from .optim import Code, optimizer_spec, scheduler_spec
    from .validation import SPLIT_SEED

    name, kwargs = optimizer_spec(s)
    blocks = {
        "OPTIMIZER": call(f"torch.optim.{name}", {"params": Code("model.parameters()"), **kwargs}).replace("params=", "", 1),
        "CARVE": UNUSED, "SCHEDULER": UNUSED, "SCHEDULER_STEP": UNUSED, "BEFORE": UNUSED, "AFTER": UNUSED,
        "AUGMENT": UNUSED, "BATCH": "train_images[idx]",
        "LOSS_ARGS": f"label_smoothing={s.label_smoothing!r}" if s.label_smoothing else "",
        "EPOCH_END": '    print(f"epoch {epoch}: train loss {train_loss:.4f}, test loss {test_loss:.4f}, test accuracy {accuracy:.2f}%")',
    }
    if s.crop_pad or s.flip:
        blocks["AUGMENT"] = AUGMENT.substitute(PAD=s.crop_pad, FLIP=s.flip, SEED=s.seed)
        blocks["BATCH"] = "images"
    spec = scheduler_spec(s, Code("total"), Code("steps_per_epoch"))
    if spec is not None:
        blocks["SCHEDULER"] = f"scheduler = {call('torch.optim.lr_scheduler.' + spec[0], {'optimizer': Code('optimizer'), **spec[1]}).replace('optimizer=', '', 1)}"
        blocks["SCHEDULER_STEP"] = "        scheduler.step()  # the lr of the next batch"
    blocks.update(view_blocks(s))
    if s.validation_size:
        v = s.validation_size
        blocks["CARVE"] = VALIDATION_CARVE.substitute(SIZE=v, SHOWN=f"{v:,}", SPLIT_SEED=SPLIT_SEED)
        blocks["BEFORE"] = "best_accuracy, best_epoch, best_weights, since_best = -1.0, 0, None, 0"
        blocks["EPOCH_END"] = VALIDATION_EPOCH_END + (PATIENCE_END.substitute(PATIENCE=s.patience) if s.patience else "")
        if s.restore_best:
            blocks["AFTER"] = RESTORE_BEST
    return blocks


AUGMENT = Template(
    """        # A new crop and flip of these pictures each time they are drawn, the whole batch at once on the device
        images = crop_flip(train_images[idx], pad=$PAD, flip=$FLIP, generator=augmentation_generator($SEED, step, device))"""
)


def view_blocks(s: Settings) -> dict[str, str]:
    """Channels-last memory order and the test-time flip, where the settings ask for them."""
    blocks = dict.fromkeys(("MODEL_CHANNELS_LAST", "INPUTS_CHANNELS_LAST", "EVAL_CHANNELS_LAST", "TTA"), UNUSED)
    if s.channels_last:
        blocks["MODEL_CHANNELS_LAST"] = "model = model.to(memory_format=torch.channels_last)  # weights as (out, kh, kw, in)"
        blocks["INPUTS_CHANNELS_LAST"] = "        inputs = inputs.contiguous(memory_format=torch.channels_last)  # each pixel's channels side by side"
        blocks["EVAL_CHANNELS_LAST"] = "        inputs = inputs.contiguous(memory_format=torch.channels_last)"
    if s.tta:
        blocks["TTA"] = "        outputs = (outputs + model(inputs.flip(-1))) / 2  # test-time flip: the mirror image's scores too"
    return blocks


VALIDATION_CARVE = Template(
    """# Hold $SHOWN training images out to choose the best epoch by: the same ones whatever the seed.
held_out = torch.randperm(len(train_images), generator=torch.Generator().manual_seed($SPLIT_SEED))
val_images, val_labels = train_images[held_out[:$SIZE]].to(device), train_labels[held_out[:$SIZE]].to(device)
train_images, train_labels = train_images[held_out[$SIZE:]], train_labels[held_out[$SIZE:]]"""
)

UNUSED = "\x00"
"""A block the settings leave out: its line is dropped."""

VALIDATION_EPOCH_END = """    val_loss, val_accuracy = evaluate(model, val_images, val_labels)
    print(f"epoch {epoch}: train loss {train_loss:.4f}, validation loss {val_loss:.4f}, "
          f"validation accuracy {val_accuracy:.2f}%, test loss {test_loss:.4f}, test accuracy {accuracy:.2f}%")
    if len(losses) == steps_per_epoch:  # only whole epochs compete; the test split never chooses
        if val_accuracy > best_accuracy:
            best_accuracy, best_epoch, since_best = val_accuracy, epoch, 0
            best_weights = copy.deepcopy(model.state_dict())
        else:
            since_best += 1"""

PATIENCE_END = Template(
    """
    if since_best >= $PATIENCE and step < total:  # patience: stop once validation has not improved for so many epochs
        print(f"stopping early: validation accuracy has not improved for {since_best} epochs")
        break"""
)

RESTORE_BEST = """# Put back the weights of the epoch best on validation, and score them once on the test split.
if best_weights is not None:
    last_accuracy = accuracy
    model.load_state_dict(best_weights)
    test_loss, accuracy = evaluate(model, test_images, test_labels)
    print(f"restored epoch {best_epoch}: test accuracy {accuracy:.2f}% (the last epoch's weights: {last_accuracy:.2f}%)")
"""


def image_script(lesson: ImageLesson, s: Settings) -> str:
    """An image lesson: the dataset's loader, the network's class and the training loop."""
    from .augment import augmentation_generator, crop_flip
    from .datasets import dataset

    data = dataset(s.dataset)
    head = "\n" + _imports("import argparse\nimport math\nimport time\n", data.LOADER_IMPORTS) + (
        "\nimport torch\nfrom torch import nn\nfrom torch.nn import functional as F\n\n"
    )
    shown = lesson.script_sources()
    if s.crop_pad or s.flip:  # the augmentation as babytui runs it, seeded alike
        shown = (augmentation_generator, crop_flip, *shown)
    sources = "\n\n".join(source_of(obj) for obj in shown)
    kwargs = {**lesson.model_kwargs(s), "num_classes": "NUM_CLASSES"}
    model = call(lesson.model.__name__, kwargs).replace("'NUM_CLASSES'", "num_classes")
    main = IMAGE_MAIN.substitute(
        DATA_ROOT=repr(s.data_root or data.script_root()),
        DATA_HELP=repr(data.ROOT_HELP),
        DEVICE=repr(s.device),
        EPOCHS=s.epochs,
        MAX_STEPS=s.max_steps,
        SEED=s.seed,
        BATCH_SIZE=s.batch_size,
        MODEL=model,
        **image_blocks(s),
    )
    main = "\n".join(line for line in main.split("\n") if line != UNUSED)
    if "copy." in main:
        head = head.replace("import argparse\n", "import argparse\nimport copy\n")
    return head + data.loader_source().lstrip("\n") + "\n\n" + sources + "\n" + main

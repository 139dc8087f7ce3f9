"""The small lessons' family: a handful of numbers, a layer or two, printed like a notebook.

Lessons 2-6 learn from one sample (the input x and a target), lessons 7-9 from four samples
of four features. `SmallLesson.run` trains with the small loop; its script is the same loop
written out, with the lesson's own model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

from .base import Lesson

if TYPE_CHECKING:
    import torch
    from torch import nn

    from ..control import Control
    from ..events import Event, Note
    from ..settings import Settings

BATCH_INPUTS = ((0.0, 0.0, 1.0, 1.0), (0.0, 1.0, 1.0, 0.0), (1.0, 0.0, 1.0, 0.0), (1.0, 1.0, 1.0, 1.0))
"""The four samples of lessons 7-9, one row each: the target is always 1 minus the fourth feature."""


def floats(values: tuple[float, ...]) -> str:
    """A tuple of numbers as a Python list literal for a script."""
    return "[" + ", ".join(repr(float(v)) for v in values) + "]"


@dataclass(frozen=True)
class SmallLesson(Lesson):
    """A lesson on a few numbers: one sample with a target, or four samples with four targets."""

    single: bool = True
    """True for one sample (x and target), False for the four samples of BATCH_INPUTS."""
    show_weights: bool = False
    """Print the weights before and after the update, and snapshot only those two moments."""

    def data(self, s: Settings) -> tuple[torch.Tensor, torch.Tensor]:
        """The inputs (N, F) and targets (N, 1)."""
        import torch

        if self.single:
            return torch.tensor([s.x]), torch.tensor([[s.target]])
        return torch.tensor(BATCH_INPUTS), torch.tensor(s.targets).unsqueeze(1)

    def goal(self, s: Settings) -> str:
        """What the outputs should get closer to, in words."""
        return f"{s.target:g}" if self.single else "[" + ", ".join(f"{t:g}" for t in s.targets) + "]"

    def build_model(self, settings: Settings, num_classes: int = 10) -> nn.Module:
        """One linear layer from the features to one output."""
        from torch import nn

        return nn.Linear(len(settings.x) if self.single else len(BATCH_INPUTS[0]), 1)

    def epochs(self, s: Settings) -> int:
        """Passes over the samples."""
        return s.epochs

    def batch_size(self, s: Settings) -> int:
        """Samples per update."""
        return 1 if self.single else s.batch_size

    def trained_parameters(self, model: nn.Module, s: Settings) -> Any:
        """What the optimizer is given: every parameter."""
        return model.parameters()

    def loss(self, loss_fn: Any, outputs: torch.Tensor, targets: torch.Tensor, s: Settings) -> torch.Tensor:
        """The loss of a batch: outputs (B, 1) against targets (B, 1)."""
        return loss_fn(outputs, targets)

    def loss_note(self, outputs: torch.Tensor, targets: torch.Tensor, loss: torch.Tensor, s: Settings) -> Note | None:
        """A note on how the first batch's loss was computed, where the lesson has one to make."""
        return None

    def run(self, settings: Settings, control: Control, **_: Any) -> Iterator[Event]:
        """Train with the small loop."""
        from ..small_loop import train_small

        return train_small(self, settings, control)

    # The exported script: the same loop, written out.

    def script_data(self, s: Settings) -> list[str]:
        """Script lines that make `inputs`, `targets` and BATCH_SIZE."""
        if self.single:
            return [
                f"inputs = torch.tensor([{floats(s.x)}])  # (1, F): a single sample",
                f"targets = torch.tensor([[{float(s.target)!r}]])  # (1, 1)",
                "BATCH_SIZE = 1",
            ]
        rows = ",\n    ".join(floats(r) for r in BATCH_INPUTS)
        return [
            f"inputs = torch.tensor([\n    {rows},\n])  # (4, 4): four samples, four features",
            f"targets = torch.tensor({floats(s.targets)}).unsqueeze(1)  # (4, 1): the same shape as the output",
            f"BATCH_SIZE = {s.batch_size}",
        ]

    def script_imports(self, s: Settings) -> list[str]:
        """Imports the lesson's model needs beyond torch's."""
        return []

    def script_model(self, s: Settings) -> list[str]:
        """Script lines that make `model` and `params` (what the optimizer gets)."""
        features = len(s.x) if self.single else len(BATCH_INPUTS[0])
        return [f"model = nn.Linear({features}, 1)", "params = model.parameters()"]

    def script_loss(self, s: Settings) -> str:
        """The script's loss of one batch."""
        return "loss = loss_fn(model(inputs[start:start + BATCH_SIZE]), targets[start:start + BATCH_SIZE])"

    def script(self, s: Settings) -> str:
        """Epochs of mini-batches over a handful of samples."""
        lines = ["", "import argparse", *self.script_imports(s), "", "import torch", "from torch import nn", ""]
        lines += [
            "parser = argparse.ArgumentParser()",
            f"parser.add_argument('--epochs', type=int, default={s.epochs})",
            f"parser.add_argument('--lr', type=float, default={s.lr!r})",
            f"parser.add_argument('--max-steps', type=int, default={s.max_steps}, help='stop after this many updates (0: no limit)')",
            "args = parser.parse_args()",
            "",
            f"torch.manual_seed({s.seed})",
        ]
        lines += self.script_data(s)
        lines += self.script_model(s)
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
            f"        {self.script_loss(s)}",
            "        loss.backward()",
            "        optimizer.step()",
            "        step += 1",
            "        if step <= 5 or step == total or step % max(1, total // 20) == 0:",
            "            with torch.no_grad():",
            "                outputs = model(inputs).squeeze(1)",
            "            print(f'epoch {epoch} update {step} loss {loss.item():.6f} output',"
            f" [round(v, 4) for v in outputs.tolist()], 'should be getting closer to {self.goal(s)}')",
            "",
            "with torch.no_grad():",
            "    final = loss_fn(model(inputs), targets).item()",
            "print(f'final loss: {final:.8g}')",
        ]
        return "\n".join(lines) + "\n"

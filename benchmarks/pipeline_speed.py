"""Lesson 14 at batch 4, three ways, in one process on the same data and number of steps.

1. the tutorial's pipeline: torchvision CIFAR10 + ToTensor + Normalize + DataLoader
2. the bare loop: the same network and SGD on normalised tensors already in memory
3. babytui's core: `babytui.core.train.train`, consumed as `babytui train` does

    python benchmarks/pipeline_speed.py --data-root /path/holding/cifar-10-batches-py [--steps 3000]

Rounds are interleaved so that a noisy machine hurts every method alike; the best round of
each is reported, with the ratios. Each method's CPU time per 1,000 images (of the thread that
trains, over the training steps only) is reported too: on a machine shared with other work it
moves far less than the wall time does.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from babytui.core.datasets import normalize
from babytui.core.datasets.cifar10 import load_cifar10
from babytui.core.lessons import get_lesson
from babytui.core.lessons.l13_relu_deeper_gpu import DeepConvNet
from babytui.core.train import train


def tutorial_pipeline(root: str, steps: int, device: torch.device) -> float:
    """images/s of the tutorial's DataLoader pipeline (its per-image PIL transforms included)."""
    import torchvision
    from torchvision import transforms

    import torchvision.datasets.cifar as cifar

    cifar.check_integrity = lambda *a, **k: True  # the local copy is re-encoded: its sums differ
    CIFAR10 = torchvision.datasets.CIFAR10
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    trainset = CIFAR10(root=root, train=True, download=False, transform=transform)
    loader = torch.utils.data.DataLoader(trainset, batch_size=4, shuffle=True)
    torch.manual_seed(0)
    model = DeepConvNet(10, 20, 120, "relu", True).to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    done = 0
    started, cpu = time.perf_counter(), time.thread_time()
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        optimizer.step()
        done += 1
        if done == steps:
            break
    _sync(device)
    return steps * 4 / (time.perf_counter() - started), (time.thread_time() - cpu) * 1000 / (steps * 4)


def bare_loop(images: torch.Tensor, labels: torch.Tensor, steps: int, device: torch.device) -> float:
    """images/s of the plainest loop: pre-normalised float tensors, randperm, slicing."""
    inputs_all = normalize(images)  # (N, 3, 32, 32) floats, done once up front
    torch.manual_seed(0)
    model = DeepConvNet(10, 20, 120, "relu", True).to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    perm = torch.randperm(len(images)).to(device)
    started, cpu = time.perf_counter(), time.thread_time()
    for i in range(steps):
        idx = perm[i * 4 : i * 4 + 4]
        optimizer.zero_grad()
        loss = loss_fn(model(inputs_all[idx]), labels[idx])
        loss.backward()
        optimizer.step()
    _sync(device)
    return steps * 4 / (time.perf_counter() - started), (time.thread_time() - cpu) * 1000 / (steps * 4)


def babytui_core(data, steps: int, device: torch.device) -> tuple[float, float]:
    """images/s of babytui's own loop, every event consumed; and its CPU ms per 1,000 images."""
    lesson = get_lesson(14)
    settings = lesson.settings({"max_steps": str(steps), "device": str(device)})
    cpu = time.thread_time()
    trained = None
    for event in train(lesson, settings, data=data):
        if type(event).__name__ == "StepLogged" and event.step == steps:
            trained = time.thread_time() - cpu  # the last step logged: the scoring that follows is not training
        if type(event).__name__ == "Finished":
            # training time only: the test-split scoring is excluded
            return event.samples_per_second, (trained or time.thread_time() - cpu) * 1000 / (steps * 4)
    raise RuntimeError("the run did not finish")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", required=True, help="folder holding cifar-10-batches-py")
    parser.add_argument("--steps", type=int, default=3000, help="updates per method per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--trust-data", action="store_true", help="accept a copy whose checksums differ")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: PyTorch's default); 1 is steadiest on a shared machine")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    data = load_cifar10(args.data_root, device, trust_data=args.trust_data)
    print(f"lesson 14, batch 4, {args.steps} steps a round, {args.rounds} rounds, device {device}, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}")
    results: dict[str, list[float]] = {"tutorial pipeline": [], "bare loop": [], "babytui core": []}
    cpu: dict[str, list[float]] = {name: [] for name in results}
    runners = {
        "tutorial pipeline": lambda: tutorial_pipeline(args.data_root, args.steps, device),
        "bare loop": lambda: bare_loop(data.train_images, data.train_labels, args.steps, device),
        "babytui core": lambda: babytui_core(data, args.steps, device),
    }
    names = list(runners)
    for r in range(args.rounds):
        for name in names[r % 3 :] + names[: r % 3]:  # rotate the order: no method always goes first
            rate, cpu_ms = runners[name]()
            results[name].append(rate)
            cpu[name].append(cpu_ms)
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:,.0f}" for k, v in results.items()))
    best = {k: max(v) for k, v in results.items()}
    paired = sorted(c / b for c, b in zip(results["babytui core"], results["bare loop"]))
    paired_tutorial = sorted(c / t for c, t in zip(results["babytui core"], results["tutorial pipeline"]))
    for name, value in best.items():
        print(f"{name:>18}: {value:8,.0f} images/s (best of {args.rounds})")
    print(f"babytui / bare loop:         {best['babytui core'] / best['bare loop']:.3f}x  (target >= 0.95x)")
    print(f"babytui / tutorial pipeline: {best['babytui core'] / best['tutorial pipeline']:.2f}x  (target >= 1.6x)")
    print(f"bare loop / tutorial:        {best['bare loop'] / best['tutorial pipeline']:.2f}x")
    least = {k: min(v) for k, v in cpu.items()}
    print("CPU s per 1,000 images (least of the rounds): " + ", ".join(f"{k} {v:.3f}" for k, v in least.items()))
    print(f"by CPU time: babytui / bare loop {least['bare loop'] / least['babytui core']:.3f}x, "
          f"babytui / tutorial {least['tutorial pipeline'] / least['babytui core']:.2f}x")
    print(f"median of the rounds' own ratios: babytui / bare {paired[len(paired) // 2]:.3f}x, "
          f"babytui / tutorial {paired_tutorial[len(paired_tutorial) // 2]:.2f}x")


if __name__ == "__main__":
    main()

"""How long CIFAR-10 takes to load into tensors, and how much memory lesson 14 needs on the CPU.

usage: python benchmarks/data_load.py ROOT [--trust-data] [--steps N]

ROOT holds cifar-10-batches-py. Each measurement runs in a fresh process: first a bare
`import torch` (the baseline), then loading the data and training lesson 14 for N steps
(and scoring the 10,000 test images). Peak memory is the process's maximum resident size.
Targets: reading the files under 2 s; the run's peak at most 400 MB above the baseline.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

READ_LIMIT_S = 2.0
"""Seconds reading the files into tensors may take."""
MEMORY_LIMIT_MB = 400.0
"""Megabytes of peak memory the run may add to a bare `import torch`."""


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB (ru_maxrss is in kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _baseline() -> dict:
    import torch  # noqa: F401  (the cost being measured)

    return {"peak_mb": peak_mb()}


def _run(root: str, trust_data: bool, steps: int, eval_chunk: int) -> dict:
    import torch

    from babytui.core.datasets import load_images
    from babytui.core.datasets.verify import verify_cifar10
    from babytui.core.events import Finished
    from babytui.core.lessons import get_lesson
    from babytui.core.train import train

    import babytui.core.scoring as train_module

    torch.set_num_threads(1)
    if eval_chunk:
        train_module.EVAL_CHUNK = eval_chunk
    result: dict = {"after_import_mb": peak_mb(), "eval_chunk": train_module.EVAL_CHUNK}
    # The first optimizer imports torch._dynamo (torch.optim does that lazily): a cost of any training.
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    result["after_optimizer_mb"] = peak_mb()
    started = time.perf_counter()
    data = load_images("cifar10", root, torch.device("cpu"), trust_data=True)  # reading only, no hashing
    result["read_s"] = time.perf_counter() - started
    result["after_read_mb"] = peak_mb()
    result["dataset_mb"] = sum(
        t.numel() * t.element_size()
        for t in (data.train_images, data.train_labels, data.test_images, data.test_labels)
    ) / 2**20
    if not trust_data:
        started = time.perf_counter()
        verify_cifar10(data.root)  # reads and SHA-256s the files; MD5s them only the first time
        result["verify_s"] = time.perf_counter() - started
    lesson = get_lesson(14)
    settings = lesson.settings({"device": "cpu", "max_steps": steps, "epochs": 1})
    started = time.perf_counter()
    finished = [e for e in train(lesson, settings, data=data) if isinstance(e, Finished)][0]
    result["train_s"] = time.perf_counter() - started
    result["test_accuracy"] = finished.test_accuracy
    result["peak_mb"] = peak_mb()
    return result


def _child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"benchmark child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="folder holding cifar-10-batches-py")
    parser.add_argument("--trust-data", action="store_true", help="skip the MD5 check (a copy you vouch for)")
    parser.add_argument("--steps", type=int, default=500, help="lesson 14 updates to run (default 500)")
    parser.add_argument("--eval-chunk", type=int, default=0, help="test images scored at once (default: train.EVAL_CHUNK)")
    parser.add_argument("--child", choices=("baseline", "run"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "baseline":
        print(json.dumps(_baseline()))
        return 0
    if args.child == "run":
        print(json.dumps(_run(args.root, args.trust_data, args.steps, args.eval_chunk)))
        return 0

    base = _child(args.root, "--child", "baseline")
    run = _child(
        args.root, "--child", "run", "--steps", str(args.steps), "--eval-chunk", str(args.eval_chunk),
        *(["--trust-data"] if args.trust_data else []),
    )
    extra = run["peak_mb"] - base["peak_mb"]
    print(f"bare `import torch`: peak {base['peak_mb']:.0f} MB")
    print(f"read CIFAR-10 into tensors: {run['read_s']:.2f} s ({run['dataset_mb']:.0f} MB of uint8), limit {READ_LIMIT_S:.0f} s")
    if "verify_s" in run:
        print(f"MD5 check of the batch files: {run['verify_s']:.2f} s")
    print(
        f"lesson 14, {args.steps} steps and a test pass in chunks of {run['eval_chunk']}: "
        f"{run['train_s']:.1f} s, test accuracy {run['test_accuracy']:.1f}%"
    )
    print(
        f"peak memory: {run['peak_mb']:.0f} MB, {extra:.0f} MB above bare torch (limit {MEMORY_LIMIT_MB:.0f}); "
        f"the first optimizer's torch._dynamo import +{run['after_optimizer_mb'] - run['after_import_mb']:.0f} MB, "
        f"reading the data +{run['after_read_mb'] - run['after_optimizer_mb']:.0f} MB, "
        f"training and scoring +{run['peak_mb'] - run['after_read_mb']:.0f} MB"
    )
    ok = run["read_s"] <= READ_LIMIT_S and extra <= MEMORY_LIMIT_MB
    print("OK" if ok else "OVER THE LIMIT")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""`babytui data`: what is where; `babytui data download`: fetch CIFAR-10 now."""

from __future__ import annotations

import argparse
import sys

from ..core.formatting import printable
from .output import LoadBar


def run(args: argparse.Namespace) -> int:
    """Show the data root and each dataset in it, or download CIFAR-10."""
    from ..core.datasets import describe_data, path_errors
    from ..core.datasets.cifar10 import ensure_cifar10
    from ..core.datasets.verify import verify_cifar10

    if args.data_command == "download":
        bar = LoadBar(sys.stderr)
        try:
            with path_errors(args.data_root):
                folder = ensure_cifar10(args.data_root or None, progress=bar)
                verify_cifar10(folder)
        finally:
            bar.close()
        print(printable(f"CIFAR-10 is ready in {folder}"))
        return 0
    for line in describe_data(args.data_root or None):
        print(printable(line))
    return 0

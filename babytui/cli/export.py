"""`babytui export`: a lesson with its settings as one standalone PyTorch script."""

from __future__ import annotations

import argparse
import os
import sys

from .output import write_new_file
from .parser import UsageError, lesson_and_settings


def run(args: argparse.Namespace) -> int:
    """Write the script to stdout, or to a new file."""
    from ..core.export import render_script

    lesson, settings = lesson_and_settings(args)
    script = render_script(lesson, settings)
    if args.output is None:
        sys.stdout.write(script)
        return 0
    if not args.output.strip():
        raise UsageError("-o/--output: give a file name, or leave -o out to print the script")
    write_new_file(args.output, lambda f: f.write(script))
    print(f"wrote lesson {lesson.number} to {os.path.abspath(args.output)}", file=sys.stderr)
    return 0

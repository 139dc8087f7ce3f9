"""`babytui runs`: the saved runs as a table or CSV; `--compare A B ...` side by side; `rm RUN` deletes one."""

from __future__ import annotations

import argparse
import json
import sys

from ..core.formatting import printable
from .output import write_new_file
from .parser import UsageError


def run(args: argparse.Namespace) -> int:
    """List, export or delete runs."""
    from ..core.runs import RunStore, write_csv

    store = RunStore()
    if args.runs_command == "rm":
        return _remove(store, args.run, args.yes)
    if args.compare is not None:
        return _compare(store, args.compare, args.json)
    if args.json:
        raise UsageError("--json goes with --compare (for the table as data, use --csv)")
    if args.csv is not None and not args.csv.strip():
        raise UsageError("--csv: give a file name, or - (or nothing) for stdout")
    rows = store.summaries()
    for row in rows:
        if row.problem:
            problem = row.problem if row.status == "unreadable" else f"run {row.id}: {row.problem}"
            print(f"babytui: warning: {printable(problem)}", file=sys.stderr)
    if args.csv is not None:
        if args.csv == "-":
            write_csv(rows, sys.stdout)
            return 0
        write_new_file(args.csv, lambda f: write_csv(rows, f))
        print(f"wrote {len(rows)} run{'s' if len(rows) != 1 else ''} to {args.csv}", file=sys.stderr)
        return 0
    if not rows:
        print(f"no runs saved yet in {store.root}", file=sys.stderr)
        return 0
    print(runs_table(rows))
    return 0


def runs_table(rows) -> str:
    """The runs as an aligned text table."""
    from ..core.runs import TABLE_HEADER

    cells = [TABLE_HEADER, *(r.cells() for r in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(TABLE_HEADER))]
    widths[2] = min(widths[2], 40)
    lines = []
    for line in cells:
        parts = [cell if len(cell) <= widths[i] else cell[: widths[i] - 1] + "…" for i, cell in enumerate(line)]
        lines.append("  ".join(p.ljust(widths[i]) for i, p in enumerate(parts)).rstrip())
    return "\n".join(lines)


def _compare(store, refs: list[str], as_json: bool) -> int:
    """The runs side by side: the settings that differ, then the results, best beside last."""
    from ..core.runs import compare_runs

    if len(refs) < 2:
        raise UsageError("--compare needs two runs or more (see `babytui runs` for their ids)")
    comparison = compare_runs(refs, store)
    if as_json:
        print(json.dumps(comparison.plain()))
        return 0
    print(comparison_table(comparison))
    if not comparison.differing:
        print("(the runs have the same settings: only the seed of chance, or a resume, tells them apart)")
    return 0


def comparison_table(comparison) -> str:
    """The comparison as aligned text: a column per run, a row per differing setting, then the results."""
    header = ("", *(run.id for run in comparison.runs))
    rows = comparison.rows()
    settings = len(comparison.differing)
    lines = [header, *((label, *cells) for label, cells in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def text(line) -> str:
        return "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip()

    out = [text(header)]
    out += [text(line) for line in lines[1 : 1 + settings]]
    out.append("-" * min(sum(widths) + 2 * len(widths), 120))
    out += [text(line) for line in lines[1 + settings :]]
    return "\n".join(out)


def _remove(store, ref: str, yes: bool) -> int:
    """Delete one run after asking on stdin (y/N); a damaged one too (it is listed as unreadable)."""
    run = store.find(ref)
    row = run.summary()
    if not yes:
        what = f"lesson {row.lesson}, {row.status}, {row.result}" if row.lesson else row.status
        print(printable(f"delete run {run.id} ({what})? [y/N] "), end="", file=sys.stderr, flush=True)
        answer = sys.stdin.readline().strip().lower()
        if answer not in ("y", "yes"):
            print("nothing deleted", file=sys.stderr)
            return 0
    what = store.delete(run)
    print(printable(f"deleted {what}"), file=sys.stderr)
    return 0

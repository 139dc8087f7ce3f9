"""The command line against odd input: a closed pipe, empty file names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from babytui.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("command", [["lessons"], ["runs"], ["export", "--lesson", "14"]])
def test_a_reader_that_goes_away_ends_it_quietly(command, tmp_path: Path) -> None:
    if command == ["runs"]:  # enough rows that the output fills more than the pipe's first read
        assert main(["train", "--lesson", "1"]) == 0 and main(["train", "--lesson", "2"]) == 0
    env = dict(os.environ, PYTHONPATH=str(REPO))
    reader, writer = os.pipe()
    os.close(reader)  # `| head -0`: nobody will read a byte
    done = subprocess.run([sys.executable, "-m", "babytui", *command], stdout=writer, stderr=subprocess.PIPE, env=env, timeout=120)
    os.close(writer)
    assert done.returncode == 141 and done.stderr == b""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "--lesson", "8", "-o", ""], "-o/--output: give a file name"),
        (["export", "--lesson", "8", "-o", "  "], "-o/--output: give a file name"),
        (["runs", "--csv", ""], "--csv: give a file name"),
    ],
)
def test_an_empty_file_name_is_a_usage_error(capsys, args, message) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "No such file" not in err and len(err.strip().splitlines()) == 1

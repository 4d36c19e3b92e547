"""The `fpx` command of an installed package: the fpx program built with the extension."""

import os
import sys
from pathlib import Path


def main() -> None:
    program = Path(__file__).resolve().parent / "bin" / "fpx"
    if not program.exists():
        sys.exit("fpx: this installation has no fpx program (install with `pip install .`, or run build/<preset>/fpx)")
    os.execv(program, [str(program)] + sys.argv[1:])

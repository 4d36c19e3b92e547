"""The named experiments, run from Python as `fpx run` runs them from the shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable, Optional, Union

from . import _core


def experiments() -> list[dict]:
    """Every experiment: name, claim (its folder under experiments/ and its proof file),
    description, columns (of a C++ experiment's table), defaults (every parameter with its
    default), configs (named configs over the defaults) and script (a Python experiment's file,
    relative to the source tree; empty for C++ ones)."""
    listed = _core.experiments()
    for e in listed:
        e["defaults"] = json.loads(e["defaults"])
        e["configs"] = json.loads(e["configs"])
    return listed


def run_experiment(name: str, config: Union[None, str, dict] = None, out: Union[str, Path] = "data",
                   threads: int = 0,
                   progress: Union[bool, Callable[[str], None]] = True) -> Path:
    """Runs experiment `name` with `config` (a dict over its defaults, where unknown keys are
    errors, or the name of one of its configs) and writes out/name/ atomically: the tables and
    manifest.json. Returns out/name.

    Progress (one line per finished cell) goes to stderr, to a callable, or nowhere (False).
    An interrupted run (Ctrl-C included) leaves a journal of finished cells; running it again
    with the same parameters and source resumes from there. Results do not depend on threads.
    A Python experiment runs as its script, under this interpreter's build of fpx.
    """
    if progress is True:
        sink = lambda line: print(f"{name}: {line}", file=sys.stderr, flush=True)  # noqa: E731
    elif progress is False:
        sink = None
    else:
        sink = progress
    text = json.dumps(config if config is not None else {})
    argv = ["fpx.run_experiment", name, text]
    return Path(_core.run_experiment(name, text, str(out), threads, argv, sink))

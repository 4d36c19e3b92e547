"""The named experiments, run from Python as `fpx run` runs them from the shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable, Optional, Union

from . import _core


def experiments() -> list[dict]:
    """Each experiment's name, description, CSV columns and default parameters."""
    listed = _core.experiments()
    for e in listed:
        e["defaults"] = json.loads(e["defaults"])
    return listed


def run_experiment(name: str, config: Optional[dict] = None, out: Union[str, Path] = "data",
                   threads: int = 0,
                   progress: Union[bool, Callable[[str], None]] = True) -> Path:
    """Runs experiment `name` with `config` overriding its defaults (unknown keys are errors)
    and writes out/name/name.csv and out/name/manifest.json atomically; returns out/name.

    Progress (one line per finished cell) goes to stderr, to a callable, or nowhere (False).
    An interrupted run (Ctrl-C included) leaves a journal of finished cells; running it again
    with the same parameters and source resumes from there. Results do not depend on threads.
    """
    if progress is True:
        sink = lambda line: print(f"{name}: {line}", file=sys.stderr, flush=True)  # noqa: E731
    elif progress is False:
        sink = None
    else:
        sink = progress
    text = json.dumps(config or {})
    argv = ["fpx.run_experiment", name, text]
    return Path(_core.run_experiment(name, text, str(out), threads, argv, sink))

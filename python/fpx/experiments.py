"""The named experiments, run from Python as `fpx run` runs them from the shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable, Optional, Union

from . import _core


def experiments() -> list[dict]:
    """Every experiment, as a dict with the keys:

    - ``name``: the experiment's name (``fpx run NAME``);
    - ``claim``: its folder under experiments/, and the name of its proof file and notebook;
    - ``description``: one line;
    - ``columns``: the columns of a C++ experiment's table (empty for a Python experiment);
    - ``defaults``: every parameter with its default value;
    - ``documentation``: every parameter's meaning, with its units;
    - ``configs``: named configs, each a dict over the defaults ("default" is {});
    - ``script``: a Python experiment's file, relative to the source tree ("" for C++ ones).
    """
    listed = _core.experiments()
    for e in listed:
        e["defaults"] = json.loads(e["defaults"])
        e["documentation"] = json.loads(e["documentation"])
        e["configs"] = json.loads(e["configs"])
    return listed


def run_experiment(name: str, config: Union[None, str, dict] = None, out: Union[str, Path] = "data",
                   threads: int = 0,
                   progress: Union[bool, Callable[[str], None]] = True) -> Path:
    """Runs an experiment and writes OUT/NAME/ atomically: its tables and manifest.json.

    Args:
        name: the experiment (fpx.experiments() lists them, with every parameter's meaning).
        config: None (the defaults), the name of one of its configs, or a dict over its
            defaults (unknown keys and values of another type are errors).
        out: the results root.
        threads: threads to use (0: every core); the results do not depend on it.
        progress: True (one line per finished cell on stderr), False (nothing) or a callable
            taking each line.

    Returns:
        The path OUT/NAME.

    An interrupted run (Ctrl-C included) leaves a journal of finished cells; running it again
    with the same parameters and source resumes from there. A Python experiment runs as its
    script, under the Python of this build of fpx.
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

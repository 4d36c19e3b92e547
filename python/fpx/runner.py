"""The runner conventions for experiments written in Python (those that need PyTorch), the same
as for the C++ ones because they are the same code: the parameters are resolved from the
experiment's NAME.json (defaults, named configs, overrides; unknown keys are errors), work is
done in cells recorded in a journal so that an interrupted run resumes, every output is written
atomically into OUT/NAME/, and the manifest is written last.

A Python experiment is experiments/CLAIM/NAME.py next to NAME.json:

    from fpx import runner

    def main(argv):
        parser = runner.arguments("NAME")          # --config, --out, --threads
        args = parser.parse_args(argv)
        run = runner.start("NAME", args, argv)
        rows = run.cell("first cell", lambda: compute())   # JSON-serialisable; from the journal
        run.write("NAME.csv", text)                          # when the run is resumed
        run.finish(rows={"NAME": len(rows)})

`fpx run NAME` starts the script with the same options.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from . import _core


def _source_root() -> Path:
    """The repository an experiment script runs from: data/ is the default output root."""
    return Path(sys.argv[0]).resolve().parents[2] if sys.argv and sys.argv[0] else Path.cwd()


def arguments(name: str, description: Optional[str] = None) -> argparse.ArgumentParser:
    """The command line every experiment takes: --config (a named config of NAME.json or a JSON
    object over its parameters), --out (the results root, default data/) and --threads."""
    described = next((e["description"] for e in _core.experiments() if e["name"] == name), None)
    if described is None:
        raise ValueError(f"no experiment named {name!r}: experiments/CLAIM/{name}.json is missing")
    parser = argparse.ArgumentParser(prog=name, description=description or described)
    parser.add_argument("--config", default="{}",
                        help="a named config of the experiment, or a JSON object over its parameters")
    parser.add_argument("--out", default=str(_source_root() / "data"), help="results root (default data/)")
    parser.add_argument("--threads", type=int, default=0, help="worker threads (0: all cores)")
    return parser


def _config(text: str) -> str:
    """A config argument as JSON text: a JSON value, or a bare config name."""
    try:
        json.loads(text)
        return text
    except json.JSONDecodeError:
        return json.dumps(text)


class Experiment:
    """One run: `parameters` (a dict), `directory` (OUT/NAME), cells, atomic writes, manifest."""

    def __init__(self, name: str, config: str, out: str, threads: int, argv: Sequence[str],
                 progress: Optional[Callable[[str], None]] = None):
        self.name = name
        if progress is None:
            progress = lambda line: print(f"{name}: {line}", file=sys.stderr, flush=True)  # noqa: E731
        self.log = progress
        self._run = _core.ExperimentRun(name, _config(config), str(out), threads, list(argv), progress)
        self.parameters: dict = json.loads(self._run.parameters)
        self.directory = Path(self._run.directory)
        self.out_root = self.directory.parent

    def cell(self, key: str, body: Callable[[], Any]) -> Any:
        """body()'s result (anything JSON can hold), or the journal's copy of it when an
        interrupted run finished this cell. Floats survive the round trip exactly."""
        return json.loads(self._run.cell(key, lambda: json.dumps(body(), allow_nan=True)))

    def write(self, file: str, text: str) -> None:
        """Writes directory/file atomically (complete or not at all)."""
        self._run.write(file, text)

    def finish(self, **manifest: Any) -> Path:
        """Writes manifest.json (the runner's fields and these) and removes the journal."""
        return Path(self._run.finish(json.dumps(manifest, default=str)))

    @property
    def cells_resumed(self) -> int:
        return self._run.cells_resumed


def parameters(name: str, config: str = "{}") -> dict:
    """The parameters a run of NAME with this config would have, without starting one."""
    return json.loads(_core.resolve_parameters(name, _config(config)))


def start(name: str, args: argparse.Namespace, argv: Sequence[str]) -> Experiment:
    """The run the parsed arguments describe; argv is recorded in the manifest."""
    script = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else name
    return Experiment(name, args.config, args.out, args.threads, [script, *argv])

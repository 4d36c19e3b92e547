"""Figures from the data an experiment wrote: each experiment's figure script
(experiments/CLAIM/NAME_figure.py) reads only DATA_DIR/NAME/ through load() and draws with a
function draw(rows); notebooks get that script with figure(NAME)."""
from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Callable, Optional

from . import _core


def source_dir() -> Path:
    """The source tree this package was built from (where experiments/ and data/ are)."""
    return Path(_core.source_dir())


def load(name: str, data_dir=None, table: Optional[str] = None) -> list[dict]:
    """The rows of DATA_DIR/NAME/TABLE.csv (TABLE defaults to the experiment's name; DATA_DIR
    to the source tree's data/)."""
    data_dir = Path(data_dir) if data_dir is not None else source_dir() / "data"
    with open(data_dir / name / f"{table or name}.csv", newline="") as f:
        return list(csv.DictReader(f))


def save(fig, name: str, data_dir) -> Path:
    """Writes DATA_DIR/figures/NAME.pdf and .png (the PDF without a creation date, so that the
    same data give the same bytes)."""
    out = Path(data_dir) / "figures"
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / f"{name}.pdf", metadata={"CreationDate": None})
    fig.savefig(out / f"{name}.png", dpi=150)
    print(out / f"{name}.pdf")
    return out / f"{name}.pdf"


def command_line(name: str, draw: Callable, read: Callable = load) -> None:
    """`python3 NAME_figure.py [DATA_DIR]`: draws from DATA_DIR (default: the source tree's
    data/) into DATA_DIR/figures; `read(name, data_dir)` gives draw its data."""
    import matplotlib.pyplot as plt

    plt.switch_backend("Agg")
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else source_dir() / "data"
    save(draw(read(name, data_dir)), name, data_dir)


def figure(name: str) -> ModuleType:
    """The figure script of experiment NAME as a module (its draw() and helpers)."""
    claims = {e["name"]: e["claim"] for e in _core.experiments()}
    if name not in claims:
        raise ValueError(f"no experiment named {name!r} (there are: {', '.join(sorted(claims))})")
    path = source_dir() / "experiments" / claims[name] / f"{name}_figure.py"
    spec = importlib.util.spec_from_file_location(f"fpx_figure_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

"""Reading an experiment's CSV from data/ and writing its figure next to the others; shared by
the figure scripts (the leading underscore keeps scripts/main.sh from running it)."""
import csv
import sys
from pathlib import Path

import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[2]


def load(name, data_dir=ROOT / "data", table=None):
    """The rows of data_dir/name/TABLE.csv (TABLE defaults to the experiment's name)."""
    with open(Path(data_dir) / name / f"{table or name}.csv", newline="") as f:
        return list(csv.DictReader(f))


def save(fig, name, data_dir=ROOT / "data"):
    out = Path(data_dir) / "figures"
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / f"{name}.pdf", metadata={"CreationDate": None})
    fig.savefig(out / f"{name}.png", dpi=150)
    print(out / f"{name}.pdf")


def command_line(name, draw, read=load):
    """`python3 FIGURE.py [DATA_DIR]`: draws from DATA_DIR (default data/) into DATA_DIR/figures;
    `read(name, data_dir)` gives draw its data."""
    plt.switch_backend("Agg")
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data"
    save(draw(read(name, data_dir)), name, data_dir)

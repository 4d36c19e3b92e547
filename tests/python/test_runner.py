"""The runner under faults: a run killed with SIGKILL mid-cell resumes to the bytes of an
uninterrupted run, and a torn or corrupt journal line (what a kill mid-write leaves) is reported
and not used."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import fpx

NAME = "equality_threshold"
# The checks at p = 2..9: the first cells take milliseconds, p = 8 and 9 about a second and two.
CONFIG = {"max_p": 9, "fixed_max_bits": 3, "search_max_bits": 2, "saturating_max_bits": 3, "search_node_budget": 10000, "largest_n_cap": 4,
          "class_search_max_bits": 2, "class_search_node_budget": 10000}

CHILD = """
import json, sys
import fpx
fpx.run_experiment(sys.argv[1], json.loads(sys.argv[2]), out=sys.argv[3], threads=1,
                   progress=lambda line: print(line, flush=True))
"""


def uninterrupted(out: Path) -> bytes:
    directory = fpx.run_experiment(NAME, CONFIG, out=out, threads=1, progress=False)
    return (directory / f"{NAME}.csv").read_bytes()


def killed_after(out: Path, cells: int) -> Path:
    """Starts the run in a child process and SIGKILLs it once `cells` cells have finished (while
    the next one runs); returns the journal it leaves."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, NAME, json.dumps(CONFIG), str(out)],
                             stdout=subprocess.PIPE, text=True, env=os.environ)
    done = 0
    for line in child.stdout:
        if line.startswith("["):
            done += 1
        if done == cells:
            child.send_signal(signal.SIGKILL)
            break
    child.wait()
    assert child.returncode == -signal.SIGKILL
    journal = out / NAME / f"{NAME}.cells.jsonl"
    assert journal.exists() and not (out / NAME / f"{NAME}.csv").exists()
    return journal


def resume(out: Path) -> tuple[bytes, list[str], dict]:
    lines: list[str] = []
    directory = fpx.run_experiment(NAME, CONFIG, out=out, threads=1, progress=lines.append)
    manifest = json.loads((directory / "manifest.json").read_text())
    return (directory / f"{NAME}.csv").read_bytes(), lines, manifest


def test_a_run_killed_mid_cell_resumes_to_the_same_bytes(tmp_path):
    want = uninterrupted(tmp_path / "whole")
    journal = killed_after(tmp_path / "killed", 7)
    finished = len(journal.read_text().splitlines()) - 1  # the header, then one line per cell
    assert finished >= 7
    got, lines, manifest = resume(tmp_path / "killed")
    assert got == want
    assert manifest["cells_resumed"] == finished
    assert any(line.startswith("resuming:") for line in lines)
    assert not journal.exists()


def test_a_torn_or_corrupt_journal_line_is_reported_and_not_used(tmp_path):
    want = uninterrupted(tmp_path / "whole")
    journal = killed_after(tmp_path / "torn", 7)
    lines = journal.read_text().splitlines()
    # A kill in the middle of a write leaves the last line cut short; a damaged disk, anything.
    lines[2] = lines[2][: len(lines[2]) // 2]
    lines.insert(3, '{"cell": 7, "rows": "not rows"}')
    lines[-1] = lines[-1][:-5]
    journal.write_text("\n".join(lines) + "\n")
    got, progress, manifest = resume(tmp_path / "torn")
    assert got == want
    reported = [line for line in progress if "torn or corrupt" in line]
    assert len(reported) == 3, progress
    assert manifest["cells_resumed"] == len(lines) - 1 - 3  # every intact cell, and only those

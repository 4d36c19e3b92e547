"""Every code block of README.md, python/README.md and docs/ runs (tests/docs/blocks.py finds
them), so an example cannot rot: Python blocks are executed, JSON blocks read as specs, console
blocks run command by command with each shown output line found in what the command prints, and
the C++ blocks are compiled into one program and run (ctest docs_cpp). The two sh blocks are the
README's set-up-and-run commands, which CI and the main job run themselves."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs"))
from blocks import ROOT, blocks  # noqa: E402

import fpx  # noqa: E402


def ids(found):
    return [f"{path.relative_to(ROOT)}:{line}" for path, line, _, _ in found]


PYTHON = blocks("python")
CONSOLE = blocks("console")


@pytest.mark.parametrize("block", PYTHON, ids=ids(PYTHON))
def test_python_block_runs(block, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(block[3], str(block[0]), "exec"), {"__name__": "__doc_block__"})


def test_json_blocks_are_specs_or_networks():
    found = blocks("json")
    assert found
    for path, line, _, text in found:
        described = json.loads(text)
        (fpx.network if "type" in described else fpx.spec)(described)


def commands(text):
    """(command, expected output lines) for each `$ ` line of a console block."""
    result = []
    for row in text.splitlines():
        if row.startswith("$ "):
            result.append((row[2:], []))
        elif row.strip():
            result[-1][1].append(row.strip())
    return result


@pytest.mark.parametrize("block", CONSOLE, ids=ids(CONSOLE))
def test_console_block_runs_and_prints_what_it_shows(block):
    fpx_program = os.environ.get("FPX_CLI") or pytest.fail(
        "FPX_CLI must name the fpx program to run the console blocks (ctest sets it)")
    for command, expected in commands(block[3]):
        # The blocks use the package the main job installs (.venv); the tests, the one under test.
        command = command.replace(".venv/bin/fpx", fpx_program).replace(".venv/bin/python", sys.executable)
        done = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, (command, done.stderr)
        for line in expected:
            assert " ".join(line.split()) in " ".join(done.stdout.split()), (command, line, done.stdout[:2000])


def test_the_sh_blocks_are_the_commands_ci_and_the_main_job_run():
    found = [text.strip() for _, _, _, text in blocks("sh")]
    assert found == ["scripts/setup.sh && scripts/main.sh", "scripts/setup.sh && scripts/test.sh"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/setup.sh" in ci and "scripts/test.sh" in ci


def test_every_block_is_of_a_kind_the_tests_run():
    assert {language for _, _, language, _ in blocks()} <= {"python", "json", "console", "sh", "cpp"}

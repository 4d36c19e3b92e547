"""Experiments from Python: reproducible bytes, manifests, and resuming an interrupted run."""

import json
from pathlib import Path

import pytest

import fpx

SMALL = {"max_p": 4, "fixed_max_bits": 4, "search_max_bits": 3, "saturating_max_bits": 4, "search_node_budget": 100000,
         "class_search_max_bits": 2, "class_search_node_budget": 100000,
         "largest_n_cap": 5}


def run(out, threads=0, progress=False):
    return fpx.run_experiment("equality_threshold", SMALL, out=out, threads=threads, progress=progress)


def test_same_config_same_bytes_whatever_the_thread_count(tmp_path):
    one = run(tmp_path / "a", threads=1)
    two = run(tmp_path / "b", threads=2)
    csv = (one / "equality_threshold.csv").read_bytes()
    assert csv == (two / "equality_threshold.csv").read_bytes()
    assert csv.count(b"\n") > 20
    manifest = json.loads((one / "manifest.json").read_text())
    assert manifest["parameters"] == SMALL and manifest["threads"] == 1
    assert manifest["argv"][0] == "fpx.run_experiment" and manifest["cells_resumed"] == 0
    assert not (one / "equality_threshold.cells.jsonl").exists()


@pytest.mark.parametrize("name, config", [
    ("ternary_universality", {"targets": ["abs", "sine"], "epsilons": [0.1, 0.03], "u1_max_pieces": 8,
                              "u1_search_networks": 300, "u1_search_max_width": 2,
                              "u1_exhaustive_max_width": 1}),
    ("capacity_census", {"inputs": [2, 3], "grids": ["s1", "ternary", "fixed:s:0:2"], "max_width": 2}),
    ("bit_degradation", {"random_seeds": [5], "interpolants": {"sine": 8}, "max_bits": 6}),
    ("best_error", {"targets": ["square", "abs"], "grids": ["u1", "s1", "ternary", "fixed:s:1:0"],
                    "max_width": 2, "bias_fraction_bits": 2, "scale_exponents": [-2, 0]}),
])
def test_the_ternary_floor_experiments_do_not_depend_on_threads(tmp_path, name, config):
    one = fpx.run_experiment(name, config, out=tmp_path / "a", threads=1, progress=False)
    two = fpx.run_experiment(name, config, out=tmp_path / "b", threads=2, progress=False)
    csv = (one / f"{name}.csv").read_bytes()
    assert csv == (two / f"{name}.csv").read_bytes()
    assert csv.count(b"\n") > 5


def test_an_interrupted_run_resumes_without_redoing_cells(tmp_path):
    lines = []

    def interrupt_after_three(line):
        lines.append(line)
        if len(lines) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fpx.run_experiment("equality_threshold", SMALL, out=tmp_path, progress=interrupt_after_three)
    directory = tmp_path / "equality_threshold"
    assert not (directory / "equality_threshold.csv").exists()
    journal = (directory / "equality_threshold.cells.jsonl").read_text().splitlines()
    assert len(journal) == 1 + 3  # the header and three cells

    resumed = []
    run(tmp_path, progress=resumed.append)
    assert resumed[0].startswith("resuming: 3 cells")
    assert sum("from the journal" in line for line in resumed) == 3
    assert json.loads((directory / "manifest.json").read_text())["cells_resumed"] == 3
    fresh = run(tmp_path / "fresh")
    assert (directory / "equality_threshold.csv").read_bytes() == (fresh / "equality_threshold.csv").read_bytes()


def test_a_journal_from_other_parameters_is_not_used(tmp_path):
    def stop(line):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fpx.run_experiment("equality_threshold", SMALL, out=tmp_path, progress=stop)
    lines = []
    fpx.run_experiment("equality_threshold", dict(SMALL, max_p=3), out=tmp_path, progress=lines.append)
    assert lines[0].startswith("starting afresh")
    manifest = json.loads((tmp_path / "equality_threshold" / "manifest.json").read_text())
    assert manifest["cells_resumed"] == 0


def test_bad_configs_are_value_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown parameter 'max_q'"):
        fpx.run_experiment("equality_threshold", {"max_q": 3}, out=tmp_path)
    with pytest.raises(ValueError, match="should be like"):
        fpx.run_experiment("equality_threshold", {"max_p": "3"}, out=tmp_path)
    with pytest.raises(ValueError, match="no experiment named"):
        fpx.run_experiment("equality", out=tmp_path)
    with pytest.raises(ValueError, match="has no config 'huge'; it has: default"):
        fpx.run_experiment("equality_threshold", "huge", out=tmp_path)


def test_every_experiment_folder_is_registered_without_a_list():
    # The registry is whatever experiments/CLAIM/NAME.json exist (with NAME.cpp or NAME.py):
    # a folder the build missed, or a name registered by hand, would differ from the disk.
    root = Path(__file__).resolve().parents[2] / "experiments"
    on_disk = {(p.stem, p.parent.name, "py" if p.with_suffix(".py").exists() else "cpp")
               for p in root.glob("*/*.json")}
    listed = {(e["name"], e["claim"], "py" if e["script"] else "cpp") for e in fpx.experiments()}
    assert listed == on_disk
    assert ("ptq_predictability", "ptq_predictability", "py") in listed
    for e in fpx.experiments():
        defaults = json.loads((root / e["claim"] / f"{e['name']}.json").read_text())["parameters"]
        assert e["defaults"] == defaults and "default" in e["configs"]

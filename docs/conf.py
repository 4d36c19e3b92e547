"""Sphinx configuration of fpx's documentation site (Debian's python3-sphinx, python3-myst-parser,
python3-breathe and doxygen). Built by ctest `docs_site` with warnings as errors:

    python3 -m sphinx -W --keep-going -b html docs BUILD/docs/html

under an interpreter where fpx is installed (the pages document the package as installed;
the name grammar and the command-line help are read from the library itself). The C++ API
comes from doxygen's XML of lib/include/fpx (detail/ headers excluded), generated here into
FPX_DOCS_WORK (default: a folder next to the output)."""

import os
import subprocess
import sys
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive, directives

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(os.environ.get("FPX_DOCS_WORK", ROOT / "build" / "docs-work"))

project = "fpx"
author = "the fpx developers"
copyright = "2026, the fpx developers"
version = release = next(line.split()[2] for line in (ROOT / "CMakeLists.txt").read_text().splitlines()
                         if line.startswith("project(fpx VERSION "))

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "breathe"]
source_suffix = {".md": "markdown"}
master_doc = "index"
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_theme_options = {"description": "finite-precision expressivity, exactly"}
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the signatures come from the docstrings' first lines
napoleon_google_docstring = True
nitpicky = False

# --- the C++ API: doxygen XML for breathe ------------------------------------------------------
doxygen_xml = WORK / "doxygen" / "xml"


def run_doxygen():
    (WORK / "doxygen").mkdir(parents=True, exist_ok=True)
    doxyfile = WORK / "Doxyfile"
    doxyfile.write_text("\n".join([
        f'INPUT = "{ROOT / "lib" / "include" / "fpx"}"',
        "RECURSIVE = YES",
        "FILE_PATTERNS = *.hpp",
        "EXCLUDE_PATTERNS = */detail/*",
        f'OUTPUT_DIRECTORY = "{WORK / "doxygen"}"',
        "GENERATE_XML = YES", "GENERATE_HTML = NO", "GENERATE_LATEX = NO",
        "EXTRACT_ALL = YES", "EXTRACT_PRIVATE = NO", "EXTRACT_STATIC = YES",
        "JAVADOC_AUTOBRIEF = YES", "QUIET = YES", "WARNINGS = NO", "WARN_IF_UNDOCUMENTED = NO",
        "ENABLE_PREPROCESSING = YES", "MACRO_EXPANSION = YES", "PREDEFINED = FPX_KERNEL_INLINE=inline",
        f'STRIP_FROM_PATH = "{ROOT / "lib" / "include"}"',
    ]) + "\n")
    subprocess.run(["doxygen", str(doxyfile)], check=True, cwd=WORK)


run_doxygen()
breathe_projects = {"fpx": str(doxygen_xml)}
breathe_default_project = "fpx"
breathe_default_members = ("members",)
cpp_index_common_prefix = ["fpx::"]


# --- text read from the library ---------------------------------------------------------------
class GrammarDirective(Directive):
    """``fpx-grammar NAME``: one of the name grammars, as the parsers state it (the same text the
    C++ help and the Python docstrings use)."""
    required_arguments = 1

    def run(self):
        import fpx
        from fpx import _core
        texts = {
            "formats": _core.format_grammar(),
            "mx": _core.mx_grammar(),
            "quantizers": _core.quantizer_grammar(),
            "specs": _core.spec_preset_grammar(),
            "modes": _core.rounding_grammar(),
            "rounding-points": _core.rounding_point_names(),
            "orders": _core.summation_order_names(),
            "activations": _core.activation_names(),
            "aliases": ", ".join(f"{a} = {p}" for a, p in _core.format_aliases()),
            "tasks": _core.task_grammar(),
            "readouts": _core.readout_grammar(),
        }
        name = self.arguments[0]
        if name not in texts:
            raise self.error(f"unknown grammar {name!r}; there are {sorted(texts)}")
        return [nodes.literal_block(texts[name], texts[name])]


class ProgramHelpDirective(Directive):
    """``fpx-help [SUBCOMMAND]``: the fpx program's own --help text (FPX_CLI names the program;
    default: the `fpx` command of the installed package)."""
    optional_arguments = 1

    def run(self):
        program = os.environ.get("FPX_CLI") or "fpx"
        args = [program] + self.arguments + ["--help"]
        done = subprocess.run(args, capture_output=True, text=True)
        if done.returncode != 0:
            raise self.error(f"{' '.join(args)} failed: {done.stderr}")
        return [nodes.literal_block(done.stdout, done.stdout)]


class ExperimentsDirective(Directive):
    """``fpx-experiments``: every registered experiment with its parameters, their defaults and
    meanings (from the experiments' own JSON files, through fpx.experiments())."""

    def run(self):
        import json
        import fpx
        out = []
        for e in fpx.experiments():
            section = nodes.section(ids=[f"experiment-{e['name']}"])
            section += nodes.title(text=e["name"])
            section += nodes.paragraph(text=f"{e['description']} (claim: {e['claim']}"
                                            f"{'; a Python script' if e['script'] else ''}).")
            table = nodes.table()
            group = nodes.tgroup(cols=3)
            table += group
            for width in (20, 15, 65):
                group += nodes.colspec(colwidth=width)
            head = nodes.thead()
            group += head
            row = nodes.row()
            for text in ("parameter", "default", "meaning"):
                row += nodes.entry("", nodes.paragraph(text=text))
            head += row
            body = nodes.tbody()
            group += body
            for key, value in e["defaults"].items():
                row = nodes.row()
                row += nodes.entry("", nodes.literal(text=key))
                row += nodes.entry("", nodes.literal(text=json.dumps(value)))
                row += nodes.entry("", nodes.paragraph(text=e["documentation"][key]))
                body += row
            section += table
            if len(e["configs"]) > 1:
                named = ", ".join(k for k in e["configs"] if k != "default")
                section += nodes.paragraph(text=f"Named configs: {named}.")
            out.append(section)
        return out


def setup(app):
    directives.register_directive("fpx-experiments", ExperimentsDirective)
    directives.register_directive("fpx-grammar", GrammarDirective)
    directives.register_directive("fpx-help", ProgramHelpDirective)

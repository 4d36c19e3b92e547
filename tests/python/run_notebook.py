"""Executes a notebook headless (nbclient) from its own directory with a kernel on this very
interpreter (so a venv's installed fpx is the one the notebook imports, whatever kernel
specs the system has); fails on the first cell that raises. Usage: run_notebook.py NOTEBOOK.ipynb"""

import json
import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

path = Path(sys.argv[1]).resolve()
notebook = nbformat.read(path, as_version=4)
with tempfile.TemporaryDirectory() as jupyter_path:
    spec = Path(jupyter_path) / "kernels" / "fpx-python"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (this interpreter)", "language": "python"}))
    os.environ["JUPYTER_PATH"] = jupyter_path
    NotebookClient(notebook, timeout=600, kernel_name="fpx-python",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
print(f"{path.name}: {len(notebook.cells)} cells executed ({sys.executable})")

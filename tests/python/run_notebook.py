"""Executes a notebook headless (nbclient, the python3 kernel) from its own directory; fails
on the first cell that raises. Usage: run_notebook.py NOTEBOOK.ipynb"""

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

path = Path(sys.argv[1]).resolve()
notebook = nbformat.read(path, as_version=4)
NotebookClient(notebook, timeout=600, kernel_name="python3",
               resources={"metadata": {"path": str(path.parent)}}).execute()
print(f"{path.name}: {len(notebook.cells)} cells executed")

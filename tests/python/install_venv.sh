#!/bin/sh
# The Python package as a user installs it: a fresh venv that sees Debian's packages (numpy,
# torch, pytest), `pip install .` from the source tree, offline (no index), then `import fpx`
# and the `fpx` command from outside the tree with no PYTHONPATH.
# Usage: install_venv.sh PYTHON VENV SOURCE_DIR   (FPX_BUILD_DIR: a configured build to reuse)
set -eu
python=$1 venv=$2 source=$3
rm -rf "$venv"
"$python" -m venv --system-site-packages "$venv"
unset PYTHONPATH
PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/pip" install --quiet "$source"
cd /
"$venv/bin/python" -c "
import sys, fpx
assert fpx.__file__.startswith('$venv/'), fpx.__file__
assert fpx.round([464.0], 'e4m3').tolist() == [448.0]
print('import fpx:', fpx.__file__)"
"$venv/bin/fpx" formats e4m3 | grep -q '^e4m3 '
echo "fpx command: $venv/bin/fpx"

"""`pip install .` builds fpx's Python package with CMake and installs it (with the `fpx`
program) into the running interpreter's environment, offline, with Debian's pip, setuptools and
wheel: without a pyproject.toml, pip builds in this tree without build isolation.

    python3 -m venv --system-site-packages .venv && .venv/bin/pip install .

CMake configures the `release` preset (build/release, shared with scripts/main.sh) and builds
the extension `_core` and the program; FPX_BUILD_DIR names another configured build tree to
reuse instead (scripts/test.sh installs from build/ci, which its tests already built).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
(ROOT / "build").mkdir(exist_ok=True)  # setuptools' egg_info writes there (options below)


def _version() -> str:
    for line in (ROOT / "CMakeLists.txt").read_text().splitlines():
        if line.startswith("project(fpx VERSION "):
            return line.split()[2]
    raise RuntimeError("CMakeLists.txt names no project version")


def _build_dir() -> Path:
    """The CMake build tree: FPX_BUILD_DIR if set (configured already), else build/release,
    configured here from the release preset."""
    given = os.environ.get("FPX_BUILD_DIR")
    if given:
        build = Path(given).resolve()
        if not (build / "CMakeCache.txt").exists():
            raise RuntimeError(f"FPX_BUILD_DIR={given} is not a configured CMake build tree")
        return build
    subprocess.run(["cmake", "--preset", "release"], cwd=ROOT, check=True)
    return ROOT / "build" / "release"


class cmake_build(build_ext):
    """Builds _core and the fpx program with CMake and puts them into the package."""

    def build_extension(self, ext):
        build = _build_dir()
        jobs = str(os.cpu_count() or 1)
        subprocess.run(["cmake", "--build", str(build), "-j", jobs, "--target", "_core", "fpx_cli"], check=True)
        built = sorted((build / "python" / "fpx").glob("_core*.so"))
        if not built:
            raise RuntimeError(f"no _core extension in {build / 'python' / 'fpx'}")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built[-1], target)
        program = target.parent / "bin" / "fpx"
        program.parent.mkdir(exist_ok=True)
        shutil.copy2(build / "fpx", program)  # run by the `fpx` command (fpx/_program.py)


class build_all(build_py):
    """The extension first, so that the program it builds is there to be packaged."""

    def run(self):
        self.run_command("build_ext")
        super().run()


setup(
    name="fpx",
    version=_version(),
    description="Exact finite-precision arithmetic and expressivity experiments",
    packages=["fpx"],
    package_dir={"fpx": "python/fpx"},
    package_data={"fpx": ["_core.pyi", "py.typed"]},
    ext_modules=[Extension("fpx._core", sources=[])],
    cmdclass={"build_ext": cmake_build, "build_py": build_all},
    entry_points={"console_scripts": ["fpx = fpx._program:main"]},
    python_requires=">=3.9",
    install_requires=["numpy"],
    zip_safe=False,
    # setuptools' own intermediates stay under build/ with CMake's trees.
    options={"build": {"build_base": "build/setuptools"}, "egg_info": {"egg_base": "build"}},
)

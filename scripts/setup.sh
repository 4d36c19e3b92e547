#!/usr/bin/env bash
# Installs fpx's Debian dependencies (only what is missing). Run as root or with sudo.
set -euo pipefail
packages=(
  build-essential cmake
  libeigen3-dev libboost-dev libfmt-dev doctest-dev libmpfr-dev libgmp-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev
  pybind11-dev python3-pybind11 python3-dev python3-numpy python3-matplotlib python3-pytest
  python3-hypothesis python3-nbclient python3-ipykernel
  python3-torch  # the model layer's cross-check; trains and evaluates ptq_predictability's models
  python3-sklearn  # ptq_predictability's random forest
  libopenblas0-serial  # a fast single-threaded BLAS for torch and numpy (the default is the reference BLAS)
  clang-14 libfuzzer-14-dev libclang-rt-14-dev  # the sanitizer build and the fuzzers (scripts/test.sh)
  python3-pip python3-venv python3-setuptools python3-wheel  # pip install . (offline, no build isolation)
  python3-sphinx python3-breathe python3-myst-parser doxygen  # the documentation site (docs/, built by the tests)
  openmpi-bin libopenmpi-dev  # fpx run on many ranks (mpirun; FPX_WITH_MPI)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

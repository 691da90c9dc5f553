#!/usr/bin/env bash
# Installs the Debian packages ceasim needs, and only those that are missing.
# Safe to run again; needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libgsl-dev                       # GSL: fits, special functions
  libhdf5-openmpi-dev hdf5-tools   # HDF5, the Open MPI parallel build
  libopenmpi-dev openmpi-bin       # MPI
  libcriterion-dev                 # unit tests
  librandom123-dev                 # counter-based RNG (Philox)
  libcjson-dev libinih-dev         # safetensors headers, sweep files
  zlib1g-dev                       # CRC-32 of the files' checksum trailers
  python3-h5py python3-numpy python3-scipy python3-matplotlib
  python3-torch                    # experiments/ceas_training (CPU PyTorch)
  fortunes                         # its corpus: /usr/share/games/fortunes
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

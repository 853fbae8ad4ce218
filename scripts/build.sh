#!/usr/bin/env bash
# build.sh [TARGET...]
#
# Installs the dependencies (scripts/setup.sh) and builds into build/:
# everything (the `bulwark` binary and the unit tests), or only TARGET...
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo --log-level=WARNING
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j"$(nproc)" "${targets[@]}"

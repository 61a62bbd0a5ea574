#!/usr/bin/env bash
# Installs missing packages, builds nrdfer and runs the whole test suite.
# Usage: bash scripts/test.sh [ctest arguments, e.g. -R parity]
set -euo pipefail
cd "$(dirname "$0")/.."

stage_start=$(date +%s)
stage() {
    local now
    now=$(date +%s)
    echo "== stage '$1' took $((now - stage_start)) s"
    stage_start=$now
}

bash scripts/install-deps.sh
stage install

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNRDFER_WERROR=ON
stage configure

cmake --build build -j "$(nproc)"
stage build

(cd build && ctest --output-on-failure -j "$(nproc)" "$@")
stage test

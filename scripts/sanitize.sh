#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer, in ./build-sanitize (CUDA off: nvcc
# takes no sanitizer flags; the GUI test is left out: the GL driver's own allocations are not ours to judge).
# Usage: bash scripts/sanitize.sh
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONVT_SANITIZE=ON -DCONVT_CUDA=OFF -DCONVT_BUILD_APP=OFF
cmake --build build-sanitize -j"$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-sanitize --output-on-failure -j"$jobs" -E GuiSmoke

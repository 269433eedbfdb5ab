#!/usr/bin/env bash
# Fuzzes the file loaders (.npy, .safetensors, images, workspaces, ONNX models and TensorProtos) with libFuzzer +
# ASan + UBSan, each for a bounded time, starting from the regression corpus in tests/fuzz/corpus/. New inputs go to
# build-fuzz/corpus-*/, crashes to build-fuzz/crashes/; a crash found here belongs in tests/fuzz/corpus/ once fixed
# (the normal tests replay it).
# Usage: bash scripts/fuzz.sh [seconds per target, default 60]      Needs clang-14 and libclang-rt-14-dev.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14 \
  -DCONVT_BUILD_FUZZ=ON -DCONVT_CUDA=OFF -DCONVT_BUILD_APP=OFF -DCONVT_BUILD_TESTS=OFF > /dev/null
cmake --build build-fuzz -j"$jobs" --target fuzz_npy fuzz_safetensors fuzz_image fuzz_workspace fuzz_onnx
mkdir -p build-fuzz/crashes
status=0
for target in npy safetensors image workspace onnx; do
  mkdir -p "build-fuzz/corpus-$target"
  echo "fuzz_$target: $seconds s"
  if ! build-fuzz/tests/fuzz/fuzz_$target -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix=build-fuzz/crashes/$target- "build-fuzz/corpus-$target" "tests/fuzz/corpus/$target" 2>&1 |
      grep -E "^#[0-9]+.*(DONE|pulse)|ERROR|SUMMARY|Done"; then
    :
  fi
  [[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
done
ls build-fuzz/crashes
exit $status

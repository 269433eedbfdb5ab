#!/usr/bin/env bash
# The CUDA backend on the layers of the fast-CPU issue plus batch-64 versions: first the kernels alone against
# cuDNN's cudnnConvolutionBackwardData (FP32 and TF32, device-resident, CUDA events; bench/cuda_vs_cudnn.cu),
# then `convt bench --backend cuda` and `--backend cuda-tf32` end to end (uploads and downloads included) next to
# `--backend cpu` in the same run. Needs a GPU; without one it says so and exits 1.
# Usage: bash bench/run_cuda_suite.sh [repeat=50]     Prints Markdown tables for bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=${1:-50}
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCONVT_BUILD_BENCH=ON -DCONVT_CUDA=ON > /dev/null
cmake --build build -j"$(nproc)" --target convt cuda_vs_cudnn > /dev/null
if ! build/app/cli/convt backends --json | grep -q '"available":true,"name":"cuda"'; then
  build/app/cli/convt backends
  echo "no usable CUDA device: this benchmark needs a GPU" >&2
  exit 1
fi
echo "Date: $(date -u +%Y-%m-%d)"
cat bench/layers.txt bench/layers_batch64.txt | build/bench/cuda_vs_cudnn "$repeat"
echo
echo "End to end through convt bench (median of $repeat, host tensors in and out):"
echo
echo "| layer | cpu (ms) | cuda (ms) | cuda-tf32 (ms) | cpu / cuda |"
echo "|---|---|---|---|---|"
source bench/suite_lib.sh  # field
while read -r name n c h w cog k s p oph opw g d; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  flags=(--repeat "$repeat" --json --input "random:$n,$c,$h,$w" --weight "random:$c,$cog,$k,$k" --stride "$s"
         --padding "$p" --output-padding "$oph,$opw" --groups "$g" --dilation "$d")
  cpu=$(build/app/cli/convt bench --backend cpu "${flags[@]}" | field median_ms)
  cuda=$(build/app/cli/convt bench --backend cuda "${flags[@]}" | field median_ms)
  tf32=$(build/app/cli/convt bench --backend cuda-tf32 "${flags[@]}" 2>/dev/null | field median_ms || true)
  printf "| %s | %.3f | %.3f | %s | %.2f |\n" "$name" "$cpu" "$cuda" "${tf32:-n/a}" \
    "$(awk -v a="$cpu" -v b="$cuda" 'BEGIN { print a / b }')"
done < <(cat bench/layers.txt bench/layers_batch64.txt)

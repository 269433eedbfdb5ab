#!/usr/bin/env bash
# The fast CPU backend on the layers of the fast-CPU issue, against oneDNN's deconvolution (plain NCHW
# activations, weights reordered once outside the timing) measured in the same run, and against the machine's
# measured fp32 FMA peak. Ours is timed twice: with the weights as the user hands them (PyTorch's layout, every
# call), and with them packed beforehand (like oneDNN's one-off reorder). Both sides write into outputs allocated
# before the timing (`convt bench --preallocated`), as oneDNN's primitives do.
# Usage: bash bench/run_suite.sh [threads=2] [repeat=10]     Prints a Markdown table for bench/RESULTS.md.
#        LAYERS=my_layers.txt bash bench/run_suite.sh        runs the layers of another file (the same columns).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
repeat=${2:-10}
build=${BUILD_DIR:-build}
# Peers linked against OpenBLAS must not run with the slow-path settings some machines export.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCONVT_BUILD_BENCH=ON > /dev/null
cmake --build "$build" -j"$(nproc)" --target convt fma_peak > /dev/null
have_onednn=0
if cmake --build "$build" -j"$(nproc)" --target onednn_deconv > /dev/null 2>&1; then have_onednn=1; fi

source bench/suite_lib.sh

peak=$(best_peak "$threads")
flagged=0
machine_header "$threads" "$peak"
echo
echo "| layer | input | weight | params | ours, packing per call (ms) | ours, prepacked (ms) | GFLOP/s (prepacked) | % of peak | oneDNN (ms) | oneDNN impl | oneDNN / ours (prepacked; per call) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"

while read -r name n c h w cog k s p oph opw g d; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  flags=(--backend cpu --threads "$threads" --repeat "$repeat" --json --preallocated --input "random:$n,$c,$h,$w"
         --weight "random:$c,$cog,$k,$k" --stride "$s" --padding "$p" --output-padding "$oph,$opw" --groups "$g"
         --dilation "$d")
  ours=$("$build"/app/cli/convt bench "${flags[@]}" | field median_ms)
  json=$("$build"/app/cli/convt bench "${flags[@]}" --prepacked)
  prepacked=$(echo "$json" | field median_ms)
  gflops=$(echo "$json" | field gflops)
  percent=$(awk -v a="$gflops" -v b="$peak" 'BEGIN { printf "%.0f%%", 100 * a / b }')
  # A kernel faster than the peak means the peak is wrong (it once read half the machine's): say so in the row.
  if awk -v a="$gflops" -v b="$peak" 'BEGIN { exit !(a > b) }'; then percent+=" **over peak**"; flagged=1; fi
  theirs="n/a"; impl="not built"; ratio="n/a"
  if ((have_onednn)); then
    peer=$("$build"/bench/onednn_deconv "$n" "$c" "$h" "$w" "$((cog * g))" "$k" "$s" "$p" "$oph" "$opw" "$g" "$d" "$threads" "$repeat")
    theirs=$(echo "$peer" | field median_ms)
    impl=$(echo "$peer" | field implementation)
    ratio=$(awk -v a="$theirs" -v b="$prepacked" -v c="$ours" 'BEGIN { printf "%.2f; %.2f", a / b, a / c }')
  fi
  printf "| %s | [%s,%s,%s,%s] | [%s,%s,%s,%s] | s%s p%s op(%s,%s) g%s d%s | %.3f | %.3f | %.1f | %s | %s | %s | %s |\n" \
    "$name" "$n" "$c" "$h" "$w" "$c" "$cog" "$k" "$k" "$s" "$p" "$oph" "$opw" "$g" "$d" "$ours" "$prepacked" "$gflops" \
    "$percent" "$theirs" "$impl" "$ratio"
done < "${LAYERS:-bench/layers.txt}"
if ((flagged)); then
  echo
  echo "**A layer ran above the measured FMA peak: the peak is wrong; check bench/fma_peak (its \"consistent\" field).**"
fi

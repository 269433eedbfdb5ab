#!/usr/bin/env bash
# The backward passes of conv_transpose2d (issue #12) on the layers of bench/layers.txt: ours
# (`convt bench --pass grad-input` and `--pass grad-weight`) against oneDNN's deconvolution_backward_data and
# deconvolution_backward_weights (bench/onednn_deconv, plain NCHW activations) measured in the same run, and against
# the machine's measured fp32 FMA peak.
# - oneDNN's weights (backward_data) and diff_weights (backward_weights) are in the layout it picks (format_tag::any);
#   the weights are reordered into it once, outside the timing, and the conversion of the diff_weights back to
#   PyTorch's layout is not part of oneDNN's timed primitive. Its backward_weights also computes diff_bias.
# - Ours writes into gradients allocated before the timing (`convt bench --preallocated`), as oneDNN's do.
# - Every figure is the median of `repeat` timed runs after 2 warm-ups, with the fastest run next to it. The useful
#   flops of each pass are the layer's forward useful flops (2 * N * C_in * H * W * C_out/groups * K * K), which
#   `convt bench --json` reports as useful_flops; a pass whose fastest run beats the FMA peak is flagged: that figure
#   is wrong (a timer or a pass that skipped work), never a fast kernel.
# - Cross-check of the shapes: the output size oneDNN's primitives were created with (their diff_dst dims) and the
#   output_shape ours reports must be PyTorch's conv_transpose2d output size, as `convt size` computes it; a mismatch
#   is flagged in the table. bench/onednn_deconv also spot-checks its results against the definition.
# Usage: bash bench/run_grad_suite.sh [threads=2] [repeat=10]   Prints a Markdown table for bench/RESULTS.md.
#        BUILD_DIR=build-bench bash bench/run_grad_suite.sh      builds and runs in another build folder.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
repeat=${2:-10}
build=${BUILD_DIR:-build}
# Peers linked against OpenBLAS must not run with the slow-path settings some machines export.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCONVT_BUILD_BENCH=ON > /dev/null
cmake --build "$build" -j"$(nproc)" --target fma_peak > /dev/null
# Either side may be missing (the engine being rewritten, no libdnnl-dev): the other one is still measured.
have_ours=1 have_onednn=1
cmake --build "$build" -j"$(nproc)" --target convt > /dev/null 2>&1 ||
  { have_ours=0; echo "warning: convt did not build" >&2; }
cmake --build "$build" -j"$(nproc)" --target onednn_deconv > /dev/null 2>&1 ||
  { have_onednn=0; echo "warning: bench/onednn_deconv not built (apt-get install libdnnl-dev ocl-icd-opencl-dev)" >&2; }
convt=$build/app/cli/convt

source bench/suite_lib.sh
gflops() { awk -v f="$1" -v ms="$2" 'BEGIN { printf "%.1f", f / (ms * 1e6) }'; }
percent() { awk -v a="$1" -v b="$peak" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }
# oneDNN's median over ours for a pass, from the "median (fastest)" cells of med.
ratio() {
  [[ "${med[dnnl.$1]}" == "n/a" || "${med[ours.$1]}" == "n/a" ]] && { echo "n/a"; return; }
  awk -v a="${med[dnnl.$1]%% *}" -v b="${med[ours.$1]%% *}" 'BEGIN { printf "%.2f", a / b }'
}
over_peak() { awk -v a="$1" -v b="$peak" 'BEGIN { exit !(a > b) }'; }

peak=$(best_peak "$threads")
machine_header "$threads" "$peak" "$threads threads, median of $repeat runs (fastest in brackets)"
echo
echo "| layer | input | weight | params | ours grad-input (ms) | oneDNN backward_data (ms) | oneDNN / ours | ours grad-weight (ms) | oneDNN backward_weights (ms) | oneDNN / ours | grad-input GFLOP/s, % of peak (ours; oneDNN) | grad-weight GFLOP/s, % of peak (ours; oneDNN) | oneDNN impls |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"

declare -A med low rate
flagged=0
while read -r name n c h w cog k s p oph opw g d; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  flops=$((2 * n * c * h * w * cog * k * k))
  # PyTorch's output size, from `convt size` when it runs, else from the formula.
  size=""
  ((have_ours)) && size=$("$convt" size --input-size "$h,$w" --kernel "$k" --stride "$s" --padding "$p" \
    --output-padding "$oph,$opw" --dilation "$d" --json 2> /dev/null |
    sed -n 's/.*"output":\[\([0-9]*\),\([0-9]*\)\].*/\1x\2/p' || true)
  [[ -n "$size" ]] ||
    size="$(((h - 1) * s - 2 * p + d * (k - 1) + oph + 1))x$(((w - 1) * s - 2 * p + d * (k - 1) + opw + 1))"
  want_dst="${n}x$((cog * g))x$size"
  flags=(--backend cpu --threads "$threads" --repeat "$repeat" --json --preallocated --input "random:$n,$c,$h,$w"
         --weight "random:$c,$cog,$k,$k" --stride "$s" --padding "$p" --output-padding "$oph,$opw" --groups "$g"
         --dilation "$d")
  med=() low=() rate=()
  impls="" notes=""
  for pass in grad-input grad-weight; do
    med[ours.$pass]="n/a" med[dnnl.$pass]="n/a" rate[ours.$pass]="n/a" rate[dnnl.$pass]="n/a"
    json=""
    if ((have_ours)); then json=$("$convt" bench "${flags[@]}" --pass "$pass" 2> /dev/null || true); fi
    if [[ -n "$json" ]]; then
      med[ours.$pass]=$(echo "$json" | field median_ms) low[ours.$pass]=$(echo "$json" | field min_ms)
      reported=$(echo "$json" | field useful_flops)
      shape=$(echo "$json" | sed -n 's/.*"output_shape": *\[\([0-9, ]*\)\].*/\1/p' | tr -d ' ' | tr , x)
      [[ -z "$shape" || "$shape" == "$want_dst" ]] || notes+=" ours $pass output_shape $shape, PyTorch $want_dst;"
      if [[ -n "$reported" ]] && ! awk -v a="$reported" -v b="$flops" 'BEGIN { exit !(a == b) }'; then
        notes+=" ours reports $reported useful flops for $pass, not $flops;"
      fi
    elif ((have_ours)); then
      notes+=" ours $pass failed;"
    fi
    peer=""
    if ((have_onednn)); then
      peer=$("$build"/bench/onednn_deconv "$n" "$c" "$h" "$w" "$((cog * g))" "$k" "$s" "$p" "$oph" "$opw" "$g" "$d" \
        "$threads" "$repeat" "$pass" 2> /dev/null || true)
    fi
    if [[ -n "$peer" ]]; then
      med[dnnl.$pass]=$(echo "$peer" | field median_ms) low[dnnl.$pass]=$(echo "$peer" | field min_ms)
      layout=$(echo "$peer" | field weights_layout)$(echo "$peer" | field diff_weights_layout)
      label=backward_data
      [[ "$pass" == grad-weight ]] && label=backward_weights
      impls+="${impls:+; }$label $(echo "$peer" | field implementation) ($layout)"
      got_dst=$(echo "$peer" | field dst)
      [[ "$got_dst" == "$want_dst" ]] || notes+=" oneDNN $pass dst $got_dst, PyTorch $want_dst;"
    elif ((have_onednn)); then
      notes+=" oneDNN $pass failed;"
    fi
    for side in ours dnnl; do
      [[ "${med[$side.$pass]}" == "n/a" ]] && continue
      rate[$side.$pass]=$(gflops "$flops" "${med[$side.$pass]}")
      rate[$side.$pass]+=" ($(percent "${rate[$side.$pass]}"))"
      fastest=$(gflops "$flops" "${low[$side.$pass]}")
      if over_peak "$fastest"; then rate[$side.$pass]+=" **over peak: $fastest**"; flagged=1; fi
      med[$side.$pass]="$(printf "%.3f" "${med[$side.$pass]}") ($(printf "%.3f" "${low[$side.$pass]}"))"
    done
  done
  printf "| %s | [%s,%s,%s,%s] | [%s,%s,%s,%s] | s%s p%s op(%s,%s) g%s d%s |" \
    "$name" "$n" "$c" "$h" "$w" "$c" "$cog" "$k" "$k" "$s" "$p" "$oph" "$opw" "$g" "$d"
  printf " %s | %s | %s | %s | %s | %s | %s; %s | %s; %s | %s%s |\n" \
    "${med[ours.grad-input]}" "${med[dnnl.grad-input]}" "$(ratio grad-input)" \
    "${med[ours.grad-weight]}" "${med[dnnl.grad-weight]}" "$(ratio grad-weight)" \
    "${rate[ours.grad-input]}" "${rate[dnnl.grad-input]}" "${rate[ours.grad-weight]}" "${rate[dnnl.grad-weight]}" \
    "${impls:-not built}" "${notes:+ **CHECK:$notes**}"
done < "${LAYERS:-bench/layers.txt}"
if ((flagged)); then
  echo
  echo "**Some fastest runs beat the measured FMA peak: those figures are wrong, not fast.**"
fi

#!/usr/bin/env bash
# The goal of issue #16: every pass of every layer, per call, against oneDNN in the same run.
# - Ours: `convt bench --pass P --preallocated`, with the weights as the user hands them (PyTorch's layout, no
#   packing kept between calls) and the outputs allocated before the timing, as oneDNN's primitives have theirs.
# - oneDNN: bench/onednn_deconv (deconvolution forward, backward_data, backward_weights; plain NCHW activations,
#   weights reordered into oneDNN's own layout once, outside the timing).
# - On a shared machine a neighbour can steal a core during any measurement, and a slow phase can last minutes. So
#   each side keeps its best median of `repeat` runs over `rounds` rounds, and a round is a sweep over every layer
#   and pass (ours, then oneDNN, for each): the rounds of one figure lie minutes apart, not a second, and a slow
#   phase catches some of them, not all (a 0.3 ms call read 0.5 ms in all 5 rounds of one second).
# - Cross-checks: a pass whose fastest run beats the measured FMA peak is flagged (the figure is wrong, not fast);
#   each large layer's share of the peak comes with oneDNN's, and bench/kernel_ceiling gives, before and after the
#   rounds, what the microkernels reach alone (operands in L1), about the most a pass can reach;
#   the summary counts the ratios below 1.0 and gives each pass's geometric mean.
# Usage: bash bench/run_per_call.sh [threads=2] [repeat=10] [rounds=3]    Prints Markdown for bench/RESULTS.md.
#        LAYERS=my_layers.txt bash bench/run_per_call.sh                  the layers of another file.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
repeat=${2:-10}
rounds=${3:-3}
build=${BUILD_DIR:-build}
# Peers linked against OpenBLAS must not run with the slow-path settings some machines export.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCONVT_BUILD_BENCH=ON > /dev/null
cmake --build "$build" -j"$(nproc)" --target convt fma_peak kernel_ceiling > /dev/null
cmake --build "$build" -j"$(nproc)" --target onednn_deconv > /dev/null 2>&1 ||
  { echo "bench/onednn_deconv did not build (apt-get install libdnnl-dev ocl-icd-opencl-dev): no peer to compare with" >&2; exit 1; }
convt=$build/app/cli/convt

source bench/suite_lib.sh
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }
# The share of the peak that the current layer's $flops take in $1 milliseconds.
share_of_peak() { awk -v f="$flops" -v ms="$1" -v p="$peak" 'BEGIN { printf "%.0f%%", 100 * f / (ms * 1e6) / p }'; }
peak=$(best_peak "$threads")
machine_header "$threads" "$peak" \
  "$threads threads; each figure the best of $rounds rounds (each a sweep over every layer) of a median of $repeat runs"
kernel_ceiling_line "$threads" "$peak" "before the rounds"

# The layers, read once: each round sweeps all of them.
layers=()
while read -r line; do
  read -r name _ <<< "$line"
  [[ -z "$name" || "$name" == \#* ]] && continue
  layers+=("$line")
done < "${LAYERS:-bench/layers.txt}"

# The measurements: best median and fastest run of each (layer, pass) over the rounds, for each side.
declare -A ours_ms theirs_ms fastest_ms
for ((round = 0; round < rounds; ++round)); do
  for line in "${layers[@]}"; do
    read -r name n c h w cog k s p oph opw g d <<< "$line"
    flags=(--backend cpu --threads "$threads" --repeat "$repeat" --json --preallocated --input "random:$n,$c,$h,$w"
           --weight "random:$c,$cog,$k,$k" --stride "$s" --padding "$p" --output-padding "$oph,$opw" --groups "$g"
           --dilation "$d")
    peer=("$n" "$c" "$h" "$w" "$((cog * g))" "$k" "$s" "$p" "$oph" "$opw" "$g" "$d" "$threads" "$repeat")
    for pass in forward grad-input grad-weight; do
      key="$name/$pass"
      json=$("$convt" bench "${flags[@]}" --pass "$pass")
      ours_ms[$key]=$(min "$(echo "$json" | field median_ms)" "${ours_ms[$key]:-}")
      fastest_ms[$key]=$(min "$(echo "$json" | field min_ms)" "${fastest_ms[$key]:-}")
      # A failed peer would leave an empty median (a ratio of 0): stop, naming the layer.
      peer_ms=$("$build"/bench/onednn_deconv "${peer[@]}" "$pass" | field median_ms)
      [[ -n "$peer_ms" ]] || { echo "bench/onednn_deconv gave no median for $name $pass" >&2; exit 1; }
      theirs_ms[$key]=$(min "$peer_ms" "${theirs_ms[$key]:-}")
    done
  done
done

echo
echo "| layer | input | weight | params | forward: ours / oneDNN (ms) | ratio | % of peak | grad-input: ours / oneDNN (ms) | ratio | % of peak | grad-weight: ours / oneDNN (ms) | ratio | % of peak |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
declare -A log_sum count below
flagged=0
for pass in forward grad-input grad-weight; do log_sum[$pass]=0 count[$pass]=0 below[$pass]=0; done
large=""
for line in "${layers[@]}"; do
  read -r name n c h w cog k s p oph opw g d <<< "$line"
  flops=$((2 * n * c * h * w * cog * k * k))
  row="| $name | [$n,$c,$h,$w] | [$c,$cog,$k,$k] | s$s p$p op($oph,$opw) g$g d$d |"
  for pass in forward grad-input grad-weight; do
    ours=${ours_ms[$name/$pass]} theirs=${theirs_ms[$name/$pass]} fastest=${fastest_ms[$name/$pass]}
    ratio=$(awk -v a="$theirs" -v b="$ours" 'BEGIN { printf "%.2f", a / b }')
    rate=$(share_of_peak "$ours")
    if awk -v f="$flops" -v ms="$fastest" -v p="$peak" 'BEGIN { exit !(f / (ms * 1e6) > p) }'; then
      rate+=" **over peak**"; flagged=1
    fi
    # Large layers (at least 1 GFLOP of useful work) are held to 70% of the peak; oneDNN's share says what the peer
    # reaches on the same machine.
    if ((flops >= 1000000000)); then large+="$name $pass $rate (oneDNN $(share_of_peak "$theirs")); "; fi
    log_sum[$pass]=$(awk -v s="${log_sum[$pass]}" -v r="$ratio" 'BEGIN { print s + log(r) }')
    count[$pass]=$((count[$pass] + 1))
    if awk -v r="$ratio" 'BEGIN { exit !(r < 1.0) }'; then below[$pass]=$((below[$pass] + 1)); ratio="**$ratio**"; fi
    row+=" $(printf "%.3f / %.3f" "$ours" "$theirs") | $ratio | $rate |"
  done
  echo "$row"
done
echo
all_log=0 all_count=0
for pass in forward grad-input grad-weight; do
  echo "- $pass: geometric mean of oneDNN / ours $(awk -v s="${log_sum[$pass]}" -v c="${count[$pass]}" \
    'BEGIN { printf "%.2f", exp(s / c) }'), ${below[$pass]} of ${count[$pass]} layers below 1.0"
  all_log=$(awk -v a="$all_log" -v s="${log_sum[$pass]}" 'BEGIN { print a + s }')
  all_count=$((all_count + count[$pass]))
done
echo "- every pass: geometric mean $(awk -v s="$all_log" -v c="$all_count" 'BEGIN { printf "%.2f", exp(s / c) }')"
echo "- large layers (>= 1 GFLOP), % of the FMA peak: ${large:-none}"
kernel_ceiling_line "$threads" "$peak" "after the rounds" | sed 's/^/- /'
if ((flagged)); then
  echo
  echo "**Some fastest runs beat the measured FMA peak: those figures are wrong, not fast.**"
fi

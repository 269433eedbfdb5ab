#!/usr/bin/env bash
# Training speed of the Train lab's default setup (issue #13): a 128x128 grey crop of the scene sample, factor 2,
# a 16-wide feature layer, Adam lr 0.01, MSE, and the three default contenders (deconv k3, deconv k4, subpixel k3
# with ICNR). The lab steps its contenders in turn on one worker, so a contender advances at
# 1 / (sum of the three step times): that is the "per contender" figure, the goal being at least 30 steps/s.
# - Ours: `convt train --json` (its steps_per_second times the training loop only), the median of `repeat` runs.
# - Cross-check: the wall-clock time of the whole command (image load and start-up included) must not be shorter
#   than the loop's own time; a rate the wall clock contradicts is flagged.
# - The peer: PyTorch (bench/train_peer.py: the same modules, loss, optimiser and step) in the same run, same
#   threads; the ratio is ours over PyTorch's steps per second. Skipped, saying so, when python3-torch is absent.
# Usage: bash bench/run_train_suite.sh [threads=2] [steps=300] [repeat=3]   Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
steps=${2:-300}
repeat=${3:-3}
build=${BUILD_DIR:-build}
# PyTorch links OpenBLAS-style BLAS paths; the machines' slow-path settings must not apply to the peer.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
export OMP_NUM_THREADS=$threads

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$build" -j"$(nproc)" --target convt > /dev/null
convt=$build/app/cli/convt
have_torch=1
/usr/bin/python3 -c "import torch" 2> /dev/null || { have_torch=0; echo "warning: python3-torch absent: no peer" >&2; }

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
field() { sed -n "s/.*\"$1\": *\([0-9.e+-]*\).*/\1/p"; }

echo "Date: $(date -u +%Y-%m-%d), CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores," \
     "$threads threads, $steps steps, median of $repeat runs"
echo
echo "| contender | ours (steps/s) | wall-clock check | PyTorch (steps/s) | ours / PyTorch |"
echo "|---|---|---|---|---|"
contenders=("deconv 3 kaiming" "deconv 4 kaiming" "subpixel 3 icnr")
sum_ours=0 sum_peer=0
for contender in "${contenders[@]}"; do
  read -r model kernel init <<< "$contender"
  rates=() flag="ok"
  for _ in $(seq "$repeat"); do
    start=$(date +%s.%N)
    rate=$("$convt" train --image assets/samples/scene.png --crop 64,64,128,128 --factor 2 --model "$model" \
             --kernel "$kernel" --init "$init" --hidden 16 --steps "$steps" --log-every "$steps" --json | field steps_per_second)
    wall=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
    awk -v r="$rate" -v w="$wall" -v n="$steps" 'BEGIN { exit !(n / r > w) }' && flag="loop longer than the command!"
    rates+=("$rate")
  done
  ours=$(printf '%s\n' "${rates[@]}" | median)
  peer="n/a" ratio="n/a"
  if ((have_torch)); then
    peer=$(for _ in $(seq "$repeat"); do
             /usr/bin/python3 bench/train_peer.py "$model" "$kernel" 16 128 2 "$steps" "$threads" | field steps_per_second
           done | median)
    ratio=$(awk -v a="$ours" -v b="$peer" 'BEGIN { printf "%.2f", a / b }')
    sum_peer=$(awk -v s="$sum_peer" -v r="$peer" 'BEGIN { print s + 1 / r }')
  fi
  sum_ours=$(awk -v s="$sum_ours" -v r="$ours" 'BEGIN { print s + 1 / r }')
  printf "| %s k%s, %s init | %.1f | %s | %s | %s |\n" "$model" "$kernel" "$init" "$ours" "$flag" \
    "$( [[ $peer == n/a ]] && echo n/a || printf '%.1f' "$peer")" "$ratio"
done
per_contender=$(awk -v s="$sum_ours" 'BEGIN { printf "%.1f", 1 / s }')
peer_per_contender=$( ((have_torch)) && awk -v s="$sum_peer" 'BEGIN { printf "%.1f", 1 / s }' || echo n/a)
echo
echo "Three contenders stepped in turn: $per_contender steps/s per contender (PyTorch: $peer_per_contender); goal 30."

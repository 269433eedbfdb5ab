# Helpers shared by the benchmark suites (sourced, not run). Each suite sets `build` to its build folder first.

# The value of a JSON field from one line of JSON on stdin: field median_ms.
field() { sed -n "s/.*\"$1\": *\"\{0,1\}\([^,\"}]*\).*/\1/p"; }

# The machine's fp32 FMA peak in GFLOP/s on $1 threads, the best of five: on a shared machine a neighbour can steal
# a core during any single measurement.
best_peak() { for _ in 1 2 3 4 5; do "$build"/bench/fma_peak "$1" | field gflops; done | sort -g | tail -n 1; }

# The two lines every suite's table starts with: the peak ($2, measured on $1 threads) and the machine, with the
# suite's own words about its runs ($3) after the cores.
machine_header() {
  echo "Measured fp32 FMA peak with $1 threads: $2 GFLOP/s ($(best_peak 1) with 1), best of 5 runs"
  echo "Date: $(date -u +%Y-%m-%d), CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores${3:+, $3}"
}

# bench/kernel_ceiling's figures on $1 threads, each as a share of the peak $2: what the microkernels reach with
# their operands in L1 and nothing else to do, about the most a pass can reach. $3 says when it was measured.
kernel_ceiling_line() {
  local json shares
  json=$("$build"/bench/kernel_ceiling "$1")
  shares=$(echo "$json" | sed 's/.*"gflops": {\(.*\)}}/\1/' | tr ',' '\n' |
           awk -F': ' -v p="$2" '{ gsub(/"/, "", $1); sub(/^ +/, "", $1)
             printf "%s%s %.1f GFLOP/s (%.0f%% of the peak)", (NR > 1 ? ", " : ""), $1, $2, 100 * $2 / p }')
  echo "Microkernels alone, operands in L1 (bench/kernel_ceiling, $1 threads, $3): $shares"
}

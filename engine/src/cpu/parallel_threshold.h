// How many threads a parallel region of the fast CPU ops gets. Below about 4 MFLOP of work a region costs more
// than it saves: on an idle machine a second thread wins about 10% there, and on a busy one (a test run, the app's
// frame and its trainers) the waiting threads spin and can burn twenty times the work's CPU time. Small calls, the
// training lab's layers above all, therefore run on the calling thread.
#pragma once

#include <omp.h>

#include <algorithm>

namespace convt::cpu {

constexpr double kSerialWorkFlops = 4e6;

inline int threads_for_work(double flops) { return flops < kSerialWorkFlops ? 1 : omp_get_max_threads(); }

// The same for a pass that streams a large operand with little arithmetic on each element (a batch-1 layer's
// weight): one core cannot draw a memory system's bandwidth alone, so each float read or written counts as the
// work of 8 flops (a 3 MB weight is then enough for every core).
inline int threads_for_streaming(double flops, double floats_streamed) {
  return threads_for_work(std::max(flops, 8.0 * floats_streamed));
}

}  // namespace convt::cpu

// How many threads a parallel region of the fast CPU ops gets. Below about 4 MFLOP of work a region costs more
// than it saves: on an idle machine a second thread wins about 10% there, and on a busy one (a test run, the app's
// frame and its trainers) the waiting threads spin and can burn twenty times the work's CPU time. Small calls, the
// training lab's layers above all, therefore run on the calling thread.
#pragma once

#include <omp.h>

namespace convt::cpu {

constexpr double kSerialWorkFlops = 4e6;

inline int threads_for_work(double flops) { return flops < kSerialWorkFlops ? 1 : omp_get_max_threads(); }

}  // namespace convt::cpu

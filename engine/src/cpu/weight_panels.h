// The microkernel's panels of a correlation's weights: one per (plan, group), laid out [blocks][K][width] with K
// ordered (input channel, ty, tx). Packed once per call by every thread, or once by a caller that keeps them
// (pack_panels, strided_correlation.h).
#pragma once

#include "strided_correlation.h"

#include <cstdint>
#include <vector>

namespace convt::cpu {

inline int64_t round_up(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

// Packs every (plan, group) panel of `weight` into `panels` ([plan * groups + group]), from inside an enclosing
// OpenMP parallel region (it is an orphaned `omp for`, shared out over the region's threads).
void pack_all_panels(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* weight,
                     WeightLayout layout, int64_t width, std::vector<std::vector<float>>& panels);

}  // namespace convt::cpu

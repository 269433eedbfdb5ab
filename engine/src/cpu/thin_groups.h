// Direct kernels for thin groups: layers with at most 4 output channels per group (depthwise, and grouped layers
// close to it). There a GEMM's register tile of 6 or 8 output channels is mostly empty and its packing costs more
// than the arithmetic, so these kernels work on whole rows instead, vectorised over the pixels of a row:
// - thin_correlations: the same strided correlations as run_correlations (strided_correlation.h), on a copy of the
//   input padded with zeros and split by the x stride into contiguous sub-rows, so every tap reads a contiguous run;
// - thin_weight_gradient: the weight gradient (weight_gradient.h) as one dot product per tap, over the same kind of
//   copy of the operand read at the strided taps.
#pragma once

#include "strided_correlation.h"
#include "weight_gradient.h"

#include <cstdint>
#include <vector>

namespace convt::cpu {

// Groups with at most this many channels on one side take the direct kernels (the "C_out/groups <= 4"; a
// layer with few input channels per group is as badly served by the GEMM in the passes where those are its rows).
constexpr int64_t kThinChannelsPerGroup = 4;

// Whether a layer with these channels per group takes the direct kernels: yes when either side is thin, unless a
// test forces the choice (force_kernel_path in convt/cpu.h).
bool use_thin_path(int64_t in_per_group, int64_t out_per_group);

// The same for a weight gradient, whose GEMM has a channels per group as rows and b channels per group times the
// taps as columns: the direct kernel when the rows are thin or the columns fewer than a register tile's.
bool use_thin_weight_gradient(int64_t a_per_group, int64_t b_per_group, int64_t taps);

// The contract of run_correlations, for any channel counts (output channels are done 4 at a time).
void thin_correlations(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* input,
                       const float* weight, WeightLayout layout, const float* bias, float* output);

// The contract of weight_gradient.
void thin_weight_gradient(const WeightGradientProblem& problem, const float* a, const float* b, float* grad_weight);

}  // namespace convt::cpu

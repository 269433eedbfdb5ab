// The engine's fast convolution core: a batch of "strided correlations", each an implicit GEMM
//     y[n, g*Cog + co, oy(q)] = bias + sum over ci, taps  x[n, g*Cig + ci, in(q, tap)] * w(g, ci, co, tap)
// with oy(q) = q*out_stride + out_base and in(q, tap) = q*in_stride + tap_offset per axis. A transposed conv is
// s_h*s_w of them (one per output phase, in_stride 1, out_stride s); a conv2d is one (in_stride s, out_stride 1).
// With few pixels the weight is read in place by the microkernel; otherwise it is packed block by block as the
// GEMM loop first needs each block (or taken prepacked). Each tile's input rows (B) are copied run by run, or
// gathered (through a zero-padded copy of the input, or, when streaming, from the input itself), or, with few
// output channels, the roles swap and the input is read in place (input_in_place.cpp). Every output element is
// written once.
#pragma once

#include "microkernels.h"

#include <convt/aligned.h>
#include <convt/tensor.h>

#include <cstdint>
#include <vector>

namespace convt::cpu {

struct AxisPlan {
  int64_t q_begin = 0, count = 0;        // q in [q_begin, q_begin + count)
  int64_t out_stride = 1, out_base = 0;  // output index of q
  int64_t in_stride = 1;                 // input index of q, before the tap offset
  std::vector<int64_t> tap_kernel;       // kernel index of each tap
  std::vector<int64_t> tap_offset;       // input offset of each tap
};

// A conv2d's axis: `output` positions q, each reading input q*stride + k*dilation - padding for every tap k (zero
// outside the input). conv_transpose2d's grad_input uses the same axis with the transposed conv's input size.
AxisPlan strided_axis(int64_t output, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation);

struct CorrelationPlan {
  AxisPlan y, x;
};

struct ConvShape {
  int64_t batch = 1, groups = 1;
  int64_t in_channels = 0, in_h = 0, in_w = 0;
  int64_t out_channels = 0, out_h = 0, out_w = 0;
  int64_t in_per_group = 0, out_per_group = 0;
  int64_t kernel_h = 0, kernel_w = 0;
};

enum class WeightLayout {
  Transposed,  // [C_in, C_out/groups, kH, kW]  (conv_transpose2d)
  Forward,     // [C_out, C_in/groups, kH, kW]  (conv2d)
};

// Whether a layer's GEMM reads its input in place, its packed weight B: at most 64 output channels per group (128
// when the plans read their input with a stride), where packing the input would cost about as much as the
// products (or the path a test forced).
bool reads_input_in_place(const std::vector<CorrelationPlan>& plans, const ConvShape& shape);

// How run_correlations would take its input (B) for this layer: streamed with the weight (few pixels), read in place
// (reads_input_in_place), or packed. Each packed float serves every output channel of its group, so the packing
// costs most, per product, where the output channels are few next to the input channels.
enum class PhaseGemmInput { Streamed, InPlace, Packed };
PhaseGemmInput phase_gemm_input(const std::vector<CorrelationPlan>& plans, const ConvShape& shape);
bool packs_input(const std::vector<CorrelationPlan>& plans, const ConvShape& shape);  // phase_gemm_input: Packed

// Whether a streaming call's tasks, one per thread, split its tiles among them, each packing its own tiles' B
// (Blocking::own_b), rather than share every tile's B and split the output channels. (With fewer tiles than
// threads, the caller may still give each task its own copy of every tile's B.)
bool splits_streamed_tiles(int64_t tiles, int threads, int64_t out_per_group);

// Whether a streaming call whose plans have these pixel counts (batch included) takes the kernel's narrow tiles
// (MicroKernel::narrow) rather than its own: only where they leave far fewer tile pixels empty. False for a kernel
// with no narrow shape.
bool takes_narrow_tiles(const std::vector<int64_t>& plan_pixels, const MicroKernel& kernel);

// Weights rearranged for the microkernel, one panel per (plan, group), each [blocks][K][width]: blocks of
// kernel->mr output channels, or of kernel->nr when the input is read in place. Panels depend on the plans' taps
// only, not on their output ranges, so they serve any input size with the same parameters.
struct PackedPanels {
  const MicroKernel* kernel = nullptr;
  bool input_in_place = false;
  int64_t groups = 1;
  std::vector<AlignedFloats> panels;  // [plan * groups + group]
};

PackedPanels pack_panels(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* weight,
                         WeightLayout layout);

// Runs every plan over every group and batch element, threaded (OpenMP), with the active microkernel. When every
// plan's pixels fit one task (a batch-1 layer on a small image), nothing is packed: each task reads its output
// channels' rows of the weight in place, so the call reads the weight once. Otherwise the tasks pack the panels
// of every plan block by block inside the GEMM loop (LazyPanels, weight_panels.h), into buffers kept between
// calls, so that the call still reads the weight once. Plans with no outputs are skipped.
// Outputs not covered by any plan are not touched: the caller's plans must cover the output exactly once.
void run_correlations(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* input,
                      const float* weight, WeightLayout layout, const float* bias, float* output);

// The same with weights packed beforehand (pack_panels, with the kernel that is active now).
void run_correlations_packed(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* input,
                             const PackedPanels& packed, const float* bias, float* output);

// The fast ops' guard on a caller's output tensor: InvalidArgument "<what>: output of shape [..] does not match
// the expected [..]" unless it has exactly the expected shape.
void check_output_shape(const char* what, const Shape& output, const Shape& expected);

// Phases without taps get no plan: conv_transpose2d_cpu fills their outputs with the bias before running these.

}  // namespace convt::cpu

#include "thin_groups.h"

#include "correlation_tiles.h"
#include "microkernels.h"
#include "padded_planes.h"
#include "parallel_threshold.h"
#include "scratch.h"
#include "weight_panels.h"

#include <convt/aligned.h>
#include <convt/cpu.h>

#include <algorithm>

namespace convt::cpu {
namespace {

// The padded copies a call makes, kept by the calling thread between calls.
PaddedPlanes& prepared_input() {
  static thread_local PaddedPlanes prepared;
  return prepared;
}
PaddedPlanes& prepared_rows() {
  static thread_local PaddedPlanes prepared;
  return prepared;
}
std::vector<AlignedFloats>& thin_weights() {
  static thread_local std::vector<AlignedFloats> weights;
  return weights;
}
// The packed weights of one plan are [group][chunk of 4 output channels][ci][tap][4]: where a block starts.
int64_t thin_chunks(const ConvShape& s) { return (s.out_per_group + 3) / 4; }
float* thin_block(AlignedFloats& plan_weights, const ConvShape& s, int64_t taps, int64_t group, int64_t chunk) {
  return plan_weights.data() + (group * thin_chunks(s) + chunk) * s.in_per_group * taps * 4;
}
LazyPanels& thin_lazy_weights() {
  static thread_local LazyPanels lazy;
  return lazy;
}

// Block `block` = (live plan, chunk of 4 output channels) of one group: [ci][tap][4], zero past C_out/groups. One
// plan per block, so that a task packs only the plans it reads (with all of them in one block, the thread that
// packed it kept the other one waiting: sr_k4s4's 16 phases).
class ThinPacker final : public BlockPacker {
 public:
  ThinPacker(const std::vector<CorrelationPlan>& plans, const std::vector<size_t>& live, const ConvShape& s,
             const float* weight, WeightLayout layout, std::vector<AlignedFloats>& weights)
      : plans_(plans), live_(live), s_(s), weight_(weight), layout_(layout), weights_(weights) {}

  void pack_block(int64_t group, int64_t block, int64_t ci_begin, int64_t ci_end) const override {
    const int64_t kernel_taps = s_.kernel_h * s_.kernel_w, chunks = thin_chunks(s_);
    const int64_t chunk = block % chunks;
    const size_t p = live_[static_cast<size_t>(block / chunks)];
    const CorrelationPlan& plan = plans_[p];
    const int64_t taps = static_cast<int64_t>(plan.y.tap_kernel.size() * plan.x.tap_kernel.size());
    float* packed = thin_block(weights_[p], s_, taps, group, chunk);
    for (int64_t ci = ci_begin; ci < ci_end; ++ci)
      for (int64_t lane = 0; lane < 4; ++lane) {
        const int64_t co = chunk * 4 + lane;
        float* destination = packed + ci * taps * 4 + lane;
        if (co >= s_.out_per_group) {
          for (int64_t t = 0; t < taps; ++t) destination[4 * t] = 0.0f;
          continue;
        }
        const float* source =
            weight_ + (layout_ == WeightLayout::Transposed
                           ? ((group * s_.in_per_group + ci) * s_.out_per_group + co) * kernel_taps
                           : ((group * s_.out_per_group + co) * s_.in_per_group + ci) * kernel_taps);
        int64_t t = 0;
        for (int64_t ky : plan.y.tap_kernel)
          for (int64_t kx : plan.x.tap_kernel) destination[4 * t++] = source[ky * s_.kernel_w + kx];
      }
  }

 private:
  const std::vector<CorrelationPlan>& plans_;
  const std::vector<size_t>& live_;
  const ConvShape& s_;
  const float* weight_;
  WeightLayout layout_;
  std::vector<AlignedFloats>& weights_;
};

}  // namespace

bool use_thin_path(int64_t in_per_group, int64_t out_per_group) {
  switch (forced_kernel_path()) {
    case KernelPath::Gemm:
    case KernelPath::GemmInPlace: return false;
    case KernelPath::Direct: return true;
    default: return std::min(in_per_group, out_per_group) <= kThinChannelsPerGroup;
  }
}

bool use_thin_weight_gradient(int64_t a_per_group, int64_t b_per_group, int64_t taps) {
  switch (forced_kernel_path()) {
    case KernelPath::Gemm:
    case KernelPath::GemmInPlace: return false;
    case KernelPath::Direct: return true;
    default: return a_per_group <= kThinChannelsPerGroup || b_per_group * taps < active_microkernel().nr;
  }
}

void thin_correlations(const std::vector<CorrelationPlan>& plans, const ConvShape& s, const float* input,
                       const float* weight, WeightLayout layout, const float* bias, float* output) {
  const MicroKernel& kernel = active_microkernel();
  std::vector<size_t> live;  // the plans with outputs and taps
  double flops = 0;
  for (size_t p = 0; p < plans.size(); ++p) {
    const CorrelationPlan& plan = plans[p];
    if (plan.y.count == 0 || plan.x.count == 0 || plan.y.tap_offset.empty() || plan.x.tap_offset.empty()) continue;
    live.push_back(p);
    flops += 2.0 * static_cast<double>(s.batch * plan.y.count * plan.x.count * s.out_channels * s.in_per_group) *
             static_cast<double>(plan.y.tap_offset.size() * plan.x.tap_offset.size());
  }
  if (live.empty()) return;
  const int threads = threads_for_work(flops);
  // Every caller's plans share their input strides: 1 for conv_transpose2d's phases, a conv2d's single plan.
  const int64_t sy = plans[live[0]].y.in_stride, sx = plans[live[0]].x.in_stride;
  PaddedPlanes& prepared = prepared_input();
  const ReadExtent e = read_extent(plans, s);
  pad_planes(input, s.batch * s.in_channels, s.in_h, s.in_w, e.y_lo, e.y_hi, e.x_lo, e.x_hi, sx, threads, prepared);

  // Each plan's weights per (group, block of 4 output channels), as [ci][tap][4], zero past C_out/groups: packed
  // as the work items first need each block (LazyPanels), into buffers kept by the calling thread between calls.
  const int64_t chunks = thin_chunks(s);
  std::vector<AlignedFloats>& weights = thin_weights();
  weights.resize(plans.size());
  for (size_t p : live) {
    const int64_t taps = static_cast<int64_t>(plans[p].y.tap_kernel.size() * plans[p].x.tap_kernel.size());
    at_least(weights[p], s.groups * chunks * s.in_per_group * taps * 4);
  }
  const ThinPacker packer(plans, live, s, weight, layout, weights);
  // A reference taken here, before the parallel region, where naming the thread_local would give each thread its own.
  LazyPanels& lazy = thin_lazy_weights();
  const int64_t blocks = static_cast<int64_t>(live.size()) * chunks;
  lazy.start(packer, s.groups, blocks, s.in_per_group, s.in_per_group);
  const LazyPanels::BlockWalk walk{0, blocks, 0};

  // One work item is two output rows of one plan (or its last row), for one (image, group): all of their
  // output-channel blocks. Two rows at once keep twice as many sums in flight when a row is short (thin_rows).
  std::vector<int64_t> first_pair{0};
  for (size_t p : live) first_pair.push_back(first_pair.back() + (plans[p].y.count + 1) / 2);
  const int64_t pairs_per_image_group = first_pair.back(), items = s.batch * s.groups * pairs_per_image_group;
  const int64_t out_plane = s.out_h * s.out_w;
#pragma omp parallel num_threads(threads)
  {
    std::vector<const float*> sources;
    AlignedFloats row_values;
#pragma omp for schedule(static)
    for (int64_t item = 0; item < items; ++item) {
      const int64_t image_group = item / pairs_per_image_group, pair = item % pairs_per_image_group;
      const int64_t n = image_group / s.groups, g = image_group % s.groups;
      const size_t live_index =
          static_cast<size_t>(std::upper_bound(first_pair.begin(), first_pair.end(), pair) - first_pair.begin() - 1);
      const size_t p = live[live_index];
      const CorrelationPlan& plan = plans[p];
      const int64_t first_qy = plan.y.q_begin + 2 * (pair - first_pair[live_index]), count = plan.x.count;
      const int64_t rows = std::min<int64_t>(2, plan.y.q_begin + plan.y.count - first_qy);
      const int64_t taps = static_cast<int64_t>(plan.y.tap_offset.size() * plan.x.tap_offset.size());
      const int64_t first_plane = n * s.in_channels + g * s.in_per_group;
      sources.clear();
      for (int64_t qy = first_qy; qy < first_qy + rows; ++qy)
        for (int64_t off_y : plan.y.tap_offset)
          for (int64_t off_x : plan.x.tap_offset)
            sources.push_back(prepared.at(first_plane, qy * sy + off_y + prepared.pad_top, off_x + prepared.pad_left) +
                              plan.x.q_begin);
      row_values.resize(static_cast<size_t>(2 * 4 * count));
      for (int64_t chunk = 0; chunk < chunks; ++chunk) {
        const int64_t first_co = chunk * 4, cout = std::min<int64_t>(4, s.out_per_group - first_co);
        float bias4[4] = {};
        for (int64_t co = 0; co < cout && bias; ++co) bias4[co] = bias[g * s.out_per_group + first_co + co];
        lazy.need(g, static_cast<int64_t>(live_index) * chunks + chunk, 0, walk);
        kernel.thin_rows(count, rows, s.in_per_group, taps, cout, sources.data(), prepared.plane_size(),
                         thin_block(weights[p], s, taps, g, chunk), bias4, row_values.data(), count);
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t oy = (first_qy + r) * plan.y.out_stride + plan.y.out_base;
          for (int64_t co = 0; co < cout; ++co) {
            float* out_row = output + (n * s.out_channels + g * s.out_per_group + first_co + co) * out_plane +
                             oy * s.out_w + plan.x.out_base;
            const float* values = row_values.data() + (r * cout + co) * count;
            for (int64_t q = 0; q < count; ++q) out_row[(plan.x.q_begin + q) * plan.x.out_stride] = values[q];
          }
        }
      }
    }
  }
}

void thin_weight_gradient(const WeightGradientProblem& p, const float* a, const float* b, float* grad_weight) {
  const MicroKernel& kernel = active_microkernel();
  const int64_t a_per_group = p.a_channels / p.groups, b_per_group = p.b_channels / p.groups;
  const int64_t taps = p.kernel_h * p.kernel_w, rows = p.batch * p.a_h;
  const double flops = 2.0 * static_cast<double>(p.batch * p.a_channels * p.a_h * p.a_w * b_per_group * taps);
  const int threads = threads_for_work(flops);
  // A with zeros after each row (the dot products' last lanes read them); B padded and split by the x stride.
  PaddedPlanes& a_rows = prepared_rows();
  pad_planes(a, p.batch * p.a_channels, p.a_h, p.a_w, 0, p.a_h - 1, 0, p.a_w - 1, 1, threads, a_rows);
  PaddedPlanes& b_planes = prepared_input();
  const TapExtent e = b_tap_extent(p);
  pad_planes(b, p.batch * p.b_channels, p.b_h, p.b_w, e.y_lo, e.y_hi, e.x_lo, e.x_hi, p.stride.w, threads, b_planes);

  // One work item is one (group, a channel, b channel): its taps' dot products over every row of the batch.
  const int64_t items = p.groups * a_per_group * b_per_group;
  // Rows are summed in float 16 at a time, then in double, so a large batch keeps float's rounding per part small.
  constexpr int64_t kRowsPerPart = 16;
#pragma omp parallel num_threads(threads)
  {
    std::vector<const float*> a_pointers(static_cast<size_t>(rows)), b_pointers(static_cast<size_t>(rows * taps));
    std::vector<double> sums(static_cast<size_t>(taps));
    std::vector<const float*> tap_start(static_cast<size_t>(taps));
    AlignedFloats part(static_cast<size_t>(taps));
#pragma omp for schedule(dynamic)
    for (int64_t item = 0; item < items; ++item) {
      const int64_t g = item / (a_per_group * b_per_group), ai = item / b_per_group % a_per_group,
                    bi = item % b_per_group;
      // Row r = (n, y) of A, and tap t of B at that row: B's plane of image n, padded row y*s_h plus the tap's
      // offset (taken once, at n = 0 and y = 0: rows only move it by whole padded rows).
      for (int64_t t = 0; t < taps; ++t) {
        const int64_t ky = t / p.kernel_w, kx = t % p.kernel_w;
        tap_start[static_cast<size_t>(t)] =
            b_planes.at(g * b_per_group + bi, ky * p.dilation.h - p.padding.h + b_planes.pad_top,
                        kx * p.dilation.w - p.padding.w + b_planes.pad_left);
      }
      const int64_t b_image = p.b_channels * b_planes.plane_size(), b_row = p.stride.h * b_planes.stride_x * b_planes.row;
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t n = r / p.a_h, y = r % p.a_h;
        a_pointers[static_cast<size_t>(r)] = a_rows.at(n * p.a_channels + g * a_per_group + ai, y, 0);
        const int64_t shift = n * b_image + y * b_row;
        for (int64_t t = 0; t < taps; ++t)
          b_pointers[static_cast<size_t>(r * taps + t)] = tap_start[static_cast<size_t>(t)] + shift;
      }
      std::fill(sums.begin(), sums.end(), 0.0);
      for (int64_t r0 = 0; r0 < rows; r0 += kRowsPerPart) {
        kernel.thin_dots(p.a_w, std::min(kRowsPerPart, rows - r0), taps, a_pointers.data() + r0,
                         b_pointers.data() + r0 * taps, part.data());
        for (int64_t t = 0; t < taps; ++t) sums[static_cast<size_t>(t)] += part[static_cast<size_t>(t)];
      }
      float* destination = grad_weight + ((g * a_per_group + ai) * b_per_group + bi) * taps;
      for (int64_t t = 0; t < taps; ++t) destination[t] = static_cast<float>(sums[static_cast<size_t>(t)]);
    }
  }
}

}  // namespace convt::cpu

// The CUDA kernels' logic on the CPU, so machines without a GPU (CI) still test it: every output element through
// the gather kernels' per-element code, and the implicit-GEMM kernels through a block emulator that calls the
// kernels' own per-thread steps (common/phase_gemm.h) for every thread, in the order the barriers impose, for
// every tile shape the launcher can pick. Only WMMA's fragment arithmetic is replaced, by plain FMAs on
// TF32-rounded operands. The outputs start as NaN, so an element no thread writes fails the comparison.
#include "random_config.h"
#include "test_util.h"

#include "../engine/src/common/gather_element.h"

#include <convt/error.h>
#include "../engine/src/common/phase_gemm.h"

#include <convt/ops.h>

#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <vector>

namespace convt {
namespace {

constexpr float kPoison = std::numeric_limits<float>::quiet_NaN();

Tensor gather_on_cpu(const testing::RandomCase& c) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(
      c.input.shape(), c.weight.shape(), c.bias ? std::optional<Shape>(c.bias->shape()) : std::nullopt, c.params);
  const phase::GatherProblem a = phase::make_gather_problem(g, c.params);
  Tensor output = Tensor::full(g.output_shape(), kPoison);
  for (int64_t index = 0; index < a.output_count(); ++index)
    output[index] = phase::conv_transpose2d_element(a, c.input.data(), c.weight.data(),
                                                    c.bias ? c.bias->data() : nullptr, index);
  return output;
}

// What conv_transpose2d_gemm launches: the bias fill when some phase has no taps, then `block(p, group, m0, n0)`
// for every block of every planned phase and group.
template <typename Block>
Tensor run_grid(const testing::RandomCase& c, int block_m, int block_n, Block block) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(
      c.input.shape(), c.weight.shape(), c.bias ? std::optional<Shape>(c.bias->shape()) : std::nullopt, c.params);
  Tensor output = Tensor::full(g.output_shape(), kPoison);
  const phase::GemmLaunchPlan plan = phase::plan_gemm_launches(g, c.params);
  if (plan.fill_with_bias)
    for (int64_t i = 0; i < output.numel(); ++i)
      output[i] = c.bias ? (*c.bias)[(i / (g.out_h * g.out_w)) % g.out_channels] : 0.0f;
  for (const phase::GemmProblem& p : plan.phases)
    for (int64_t group = 0; group < g.groups; ++group)
      for (int64_t m0 = 0; m0 < p.m_size(); m0 += block_m)
        for (int64_t n0 = 0; n0 < p.n_size(); n0 += block_n) block(p, group, m0, n0, output.data());
  return output;
}

// fp32_gemm_kernel<BlockM, BlockN> with 256 threads, one block at a time.
template <int BlockM, int BlockN>
Tensor emulate_fp32_gemm(const testing::RandomCase& c) {
  constexpr int kThreads = 256, kBlockK = 8;
  const float* bias = c.bias ? c.bias->data() : nullptr;
  return run_grid(c, BlockM, BlockN, [&](const phase::GemmProblem& p, int64_t group, int64_t m0, int64_t n0, float* out) {
    auto tiles = std::make_unique<phase::GemmTiles<BlockM, BlockN, kBlockK>>();
    std::vector<phase::Fp32Accumulator<BlockM, BlockN>> acc(kThreads);
    std::vector<phase::GemmPixel> column_pixel(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      std::memset(&acc[static_cast<size_t>(t)], 0, sizeof(acc[0]));
      column_pixel[static_cast<size_t>(t)] = phase::gemm_pixel(p, n0 + t % BlockN);
    }
    for (int64_t k0 = 0; k0 < p.k_size(); k0 += kBlockK) {
      for (int t = 0; t < kThreads; ++t)
        phase::gemm_load_tiles<BlockM, BlockN, kBlockK, kThreads>(p, c.input.data(), c.weight.data(), group, m0, k0, t,
                                                                   column_pixel[static_cast<size_t>(t)], *tiles);
      for (int t = 0; t < kThreads; ++t) phase::fp32_accumulate(*tiles, t, acc[static_cast<size_t>(t)]);
    }
    for (int t = 0; t < kThreads; ++t) phase::fp32_store(p, bias, out, group, m0, n0, t, acc[static_cast<size_t>(t)]);
  });
}

// cvt.rna.tf32.f32: round to nearest (ties away from zero) keeping 10 mantissa bits.
float round_to_tf32(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  bits = (bits + 0x1000u) & 0xFFFFE000u;
  std::memcpy(&value, &bits, sizeof bits);
  return value;
}

// tf32_gemm_kernel: 128 threads load 64 x 64 tiles; 4 warps each own 32 x 32 as 2 x 2 fragments of 16 x 16.
Tensor emulate_tf32_gemm(const testing::RandomCase& c) {
  constexpr int kThreads = 128, kBlock = 64, kBlockK = 8;
  const float* bias = c.bias ? c.bias->data() : nullptr;
  return run_grid(c, kBlock, kBlock, [&](const phase::GemmProblem& p, int64_t group, int64_t m0, int64_t n0, float* out) {
    auto tiles = std::make_unique<phase::GemmTiles<kBlock, kBlock, kBlockK>>();
    std::vector<float> acc(kBlock * kBlock, 0.0f);  // acc[m * 64 + n]: the four warps' fragments side by side
    for (int64_t k0 = 0; k0 < p.k_size(); k0 += kBlockK) {
      for (int t = 0; t < kThreads; ++t)
        phase::gemm_load_tiles<kBlock, kBlock, kBlockK, kThreads>(p, c.input.data(), c.weight.data(), group, m0, k0, t,
                                                                   phase::gemm_pixel(p, n0 + t % kBlock), *tiles);
      for (int m = 0; m < kBlock; ++m)
        for (int n = 0; n < kBlock; ++n)
          for (int kk = 0; kk < kBlockK; ++kk)
            acc[m * kBlock + n] += round_to_tf32(tiles->a[kk][m]) * round_to_tf32(tiles->b[kk][n]);
    }
    for (int warp = 0; warp < kThreads / 32; ++warp)
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) {
          const int fragment_m = (warp / 2) * 32 + 16 * i, fragment_n = (warp % 2) * 32 + 16 * j;
          float fragment[16 * 16];
          for (int e = 0; e < 256; ++e) fragment[e] = acc[(fragment_m + e / 16) * kBlock + fragment_n + e % 16];
          for (int lane = 0; lane < 32; ++lane)
            phase::store_fragment(p, bias, out, group, m0 + fragment_m, n0 + fragment_n, lane, fragment);
        }
  });
}

// Random configurations with enough channels for partial and multiple tiles in m and k, from the shared
// generator (groups, dilation, asymmetric pairs, output_padding, phases without taps).
testing::RandomCase widened_case(std::mt19937_64& rng, int trial) {
  testing::RandomCase c = testing::random_conv_transpose2d_case(rng, trial % 8 == 0 ? 19 : 9);
  if (trial % 4 == 1) {
    // ONNX's pads: a separate end crop, and output_padding beyond the stride (kept only when still valid).
    ConvTranspose2dParams onnx_params = c.params;
    onnx_params.padding_end = IntPair{static_cast<int64_t>(rng() % 4), static_cast<int64_t>(rng() % 4)};
    onnx_params.output_padding = {onnx_params.output_padding.h + static_cast<int64_t>(rng() % 2) * onnx_params.stride.h,
                                  onnx_params.output_padding.w};
    try {
      validate_conv_transpose2d(c.input.shape(), c.weight.shape(), std::nullopt, onnx_params);
      c.params = onnx_params;
    } catch (const Error&) {
    }
  }
  if (trial % 3 != 0) return c;
  // Every third case: many channels per group, so tiles of 64 and 128 rows are full and partial, and K spans
  // several steps of 8.
  const int64_t groups = c.params.groups, in_per_group = 3 + trial % 11, out_per_group = 40 + trial % 100;
  Shape input_shape = c.input.shape();
  input_shape[input_shape.size() == 4 ? 1 : 0] = in_per_group * groups;
  c.input = Tensor::randn(input_shape, 3000 + trial);
  c.weight = Tensor::randn({in_per_group * groups, out_per_group, c.weight.size(2), c.weight.size(3)}, 1000 + trial);
  if (c.bias) c.bias = Tensor::randn({out_per_group * groups}, 2000 + trial);
  return c;
}

template <typename Run>
void expect_matches_reference(const char* what, Run run, int trials, double tolerance) {
  std::mt19937_64 rng(4242);
  for (int trial = 0; trial < trials; ++trial) {
    const testing::RandomCase c = widened_case(rng, trial);
    const Tensor* bias = c.bias ? &*c.bias : nullptr;
    const Tensor expected = conv_transpose2d_reference(c.input, c.weight, bias, c.params);
    ASSERT_TRUE(testing::all_close_to_scale(run(c), expected,
                                            testing::conv_transpose2d_term_scale(c.input, c.weight, bias, c.params),
                                            tolerance))
        << what << ", trial " << trial << ": input " << shape_to_string(c.input.shape()) << " weight "
        << shape_to_string(c.weight.shape());
  }
}

TEST(CudaKernelLogic, GatherElementsMatchTheReference) {
  expect_matches_reference("gather", gather_on_cpu, 200, 2e-6);
}

TEST(CudaKernelLogic, Conv2dGatherElementsMatchTheReference) {
  std::mt19937_64 rng(77);
  for (int trial = 0; trial < 200; ++trial) {
    const testing::RandomConv2dCase c = testing::random_conv2d_case(rng);
    const Conv2dGeometry g = validate_conv2d(c.input.shape(), c.weight.shape(), c.bias.shape(), c.params);
    const phase::GatherProblem a = phase::make_gather_problem(g, c.params);
    Tensor actual = Tensor::full(g.output_shape(), kPoison);
    for (int64_t index = 0; index < a.output_count(); ++index)
      actual[index] = phase::conv2d_element(a, c.input.data(), c.weight.data(), c.bias.data(), index);
    ASSERT_TRUE(testing::all_close_to_scale(actual, conv2d_reference(c.input, c.weight, &c.bias, c.params), c.scale, 2e-6))
        << "trial " << trial;
  }
}

// Every (BlockM, BlockN) the launcher instantiates; the thinner ones see the same configurations.
TEST(CudaKernelLogic, Fp32GemmBlocksMatchTheReferenceForEveryTileShape) {
  expect_matches_reference("fp32 128x128", emulate_fp32_gemm<128, 128>, 60, 2e-6);
  expect_matches_reference("fp32 128x64", emulate_fp32_gemm<128, 64>, 40, 2e-6);
  expect_matches_reference("fp32 64x128", emulate_fp32_gemm<64, 128>, 40, 2e-6);
  expect_matches_reference("fp32 64x64", emulate_fp32_gemm<64, 64>, 60, 2e-6);
  expect_matches_reference("fp32 32x128", emulate_fp32_gemm<32, 128>, 40, 2e-6);
  expect_matches_reference("fp32 32x64", emulate_fp32_gemm<32, 64>, 60, 2e-6);
}

TEST(CudaKernelLogic, Tf32GemmBlocksMatchTheReferenceWithinTheTf32Bound) {
  expect_matches_reference("tf32", emulate_tf32_gemm, 100, 1.5e-3);
}

// A stride of 10^6 has 10^12 phases; the launcher plans only those with taps (here one) and fills the rest with
// the bias, so planning takes no time and the output is still complete.
TEST(CudaKernelLogic, HugeStridesPlanOnlyThePhasesWithTaps) {
  testing::RandomCase c{Tensor::randn({1, 2, 1, 1}, 1), Tensor::randn({2, 3, 1, 2}, 2), Tensor::randn({3}, 3),
                        ConvTranspose2dParams{IntPair(1000000), IntPair(0), IntPair(0), IntPair(1), 1}};
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(c.input.shape(), c.weight.shape(), c.bias->shape(), c.params);
  const phase::GemmLaunchPlan plan = phase::plan_gemm_launches(g, c.params);
  EXPECT_TRUE(plan.fill_with_bias);
  EXPECT_EQ(plan.phases.size(), 2u) << "one row phase times two column phases (k = 1 x 2)";
  const Tensor expected = conv_transpose2d_reference(c.input, c.weight, &*c.bias, c.params);
  EXPECT_TRUE(testing::all_close_to_scale(emulate_fp32_gemm<32, 64>(c), expected,
                                          testing::conv_transpose2d_term_scale(c.input, c.weight, &*c.bias, c.params), 2e-6));
}

}  // namespace
}  // namespace convt

// The fast CPU backward passes against the reference backward on random configurations of both convolutions, at
// every microkernel level this machine supports, with every output poisoned (NaN) first so an element the fast
// path forgets to write fails. Tolerances are relative to each element's sum of absolute terms, which the
// reference itself gives when run on the absolute values of its operands.
#include "random_config.h"
#include "cpu_test_util.h"
#include "test_util.h"

#include <convt/cpu.h>
#include <convt/error.h>
#include <convt/reference.h>
#include <convt/shape.h>

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace convt {
namespace {

using testing::abs_of;
using testing::all_close_to_scale;

constexpr double kTolerance = 1e-5;  // relative to the sum of |terms|: float sums over up to a few thousand pixels

Tensor poisoned(const Shape& shape) { return Tensor::full(shape, NAN); }

using testing::GathersForced;
using testing::KernelLevel;
using testing::PathForced;
using testing::Threads;

std::string describe(const Tensor& x, const Tensor& w, const ConvTranspose2dParams& p) {
  return "input " + shape_to_string(x.shape()) + " weight " + shape_to_string(w.shape()) + " stride " +
         to_string(p.stride) + " padding " + to_string(p.padding) + " output_padding " + to_string(p.output_padding) +
         " dilation " + to_string(p.dilation) + " groups " + std::to_string(p.groups);
}

std::string describe(const Tensor& x, const Tensor& w, const Conv2dParams& p) {
  return "input " + shape_to_string(x.shape()) + " weight " + shape_to_string(w.shape()) + " stride " +
         to_string(p.stride) + " padding " + to_string(p.padding) + " dilation " + to_string(p.dilation) + " groups " +
         std::to_string(p.groups);
}

// The three gradients of the fast path, written into poisoned outputs, against the reference backward.
::testing::AssertionResult gradients_match(const ConvGradients& expected, const ConvGradients& scale,
                                           const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_bias,
                                           const std::string& layer) {
  if (auto r = all_close_to_scale(grad_input, expected.grad_input, scale.grad_input, kTolerance); !r)
    return r << " (grad_input; " << layer << ")";
  if (auto r = all_close_to_scale(grad_weight, expected.grad_weight, scale.grad_weight, kTolerance); !r)
    return r << " (grad_weight; " << layer << ")";
  if (expected.grad_bias)
    if (auto r = all_close_to_scale(grad_bias, *expected.grad_bias, *scale.grad_bias, kTolerance); !r)
      return r << " (grad_bias; " << layer << ")";
  return ::testing::AssertionSuccess();
}

// A layer's backward check: the reference gradients and their scale are computed once, and each call of the
// returned check runs the fast path under whatever level, path and thread count is in force then.
using BackwardCheck = std::function<::testing::AssertionResult()>;

BackwardCheck transposed_backward_check(const Tensor& x, const Tensor& w, bool with_bias,
                                        const ConvTranspose2dParams& params, uint64_t seed) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(x.shape(), w.shape(), std::nullopt, params);
  const Tensor gy = Tensor::randn(g.output_shape(), seed);
  const ConvGradients expected = conv_transpose2d_backward_reference(x, w, with_bias, gy, params);
  const ConvGradients scale = conv_transpose2d_backward_reference(abs_of(x), abs_of(w), with_bias, abs_of(gy), params);
  return [=] {
    Tensor grad_input = poisoned(x.shape()), grad_weight = poisoned(w.shape()), grad_bias = poisoned({g.out_channels});
    cpu::conv_transpose2d_grad_input_cpu_into(w, gy, params, grad_input);
    cpu::conv_transpose2d_grad_weight_cpu_into(x, gy, params, grad_weight, with_bias ? &grad_bias : nullptr);
    return gradients_match(expected, scale, grad_input, grad_weight, grad_bias, describe(x, w, params));
  };
}

BackwardCheck conv2d_backward_check(const Tensor& x, const Tensor& w, bool with_bias, const Conv2dParams& params,
                                    uint64_t seed) {
  const Tensor gy = Tensor::randn(validate_conv2d(x.shape(), w.shape(), std::nullopt, params).output_shape(), seed);
  const ConvGradients expected = conv2d_backward_reference(x, w, with_bias, gy, params);
  const ConvGradients scale = conv2d_backward_reference(abs_of(x), abs_of(w), with_bias, abs_of(gy), params);
  return [=] {
    Tensor grad_input = poisoned(x.shape()), grad_weight = poisoned(w.shape()), grad_bias = poisoned({w.size(0)});
    cpu::conv2d_grad_input_cpu_into(w, gy, params, grad_input);
    cpu::conv2d_grad_weight_cpu_into(x, gy, params, grad_weight, with_bias ? &grad_bias : nullptr);
    return gradients_match(expected, scale, grad_input, grad_weight, grad_bias, describe(x, w, params));
  };
}

::testing::AssertionResult transposed_backward_matches(const Tensor& x, const Tensor& w, bool with_bias,
                                                       const ConvTranspose2dParams& params, uint64_t seed) {
  return transposed_backward_check(x, w, with_bias, params, seed)();
}

::testing::AssertionResult conv2d_backward_matches(const Tensor& x, const Tensor& w, bool with_bias,
                                                   const Conv2dParams& params, uint64_t seed) {
  return conv2d_backward_check(x, w, with_bias, params, seed)();
}

// Runs `check(trial)` for about `total` trials split evenly over the kernel levels this machine supports and every
// path (testing::all_paths), stopping at the first failure; `checked` counts the trials that passed.
::testing::AssertionResult at_every_kernel_level(int total, int& checked,
                                                 const std::function<::testing::AssertionResult(int)>& check) {
  const std::vector<std::string> levels = cpu::supported_kernel_levels();
  const int runs = static_cast<int>(levels.size() * testing::all_paths().size());
  const int per_run = (total + runs - 1) / runs;
  for (const std::string& level : levels)
    for (const auto& [path_name, path] : testing::all_paths()) {
      KernelLevel forced(level);
      PathForced forced_path(path);
      for (int trial = 0; trial < per_run; ++trial) {
        if (auto result = check(trial); !result)
          return result << " (kernel level " << level << ", " << path_name << ", trial " << trial << ")";
        ++checked;
      }
    }
  return ::testing::AssertionSuccess();
}

TEST(CpuBackward, ConvTranspose2dMatchesReferenceOnRandomConfigurations) {
  std::mt19937_64 rng(1201);
  int checked = 0;
  ASSERT_TRUE(at_every_kernel_level(240, checked, [&](int trial) {
    // Every tenth case is wide enough to need several K chunks (more than 512 pixels).
    const testing::RandomCase c = testing::random_conv_transpose2d_case(rng, trial % 10 == 0 ? 23 : 9);
    return transposed_backward_matches(c.input, c.weight, c.bias.has_value(), c.params, rng());
  }));
  EXPECT_GE(checked, 200);
}

TEST(CpuBackward, Conv2dMatchesReferenceOnRandomConfigurations) {
  std::mt19937_64 rng(1202);
  int checked = 0;
  ASSERT_TRUE(at_every_kernel_level(240, checked, [&](int trial) {
    const testing::RandomConv2dCase c = testing::random_conv2d_case(rng);
    return conv2d_backward_matches(c.input, c.weight, trial % 2 == 0, c.params, rng());
  }));
  EXPECT_GE(checked, 200);
}

// Channel counts that span several microkernel row and column blocks and pixel counts that span several K chunks,
// under thread counts that make the weight gradient split K into parts (1 thread: none; 3 and 8: some).
TEST(CpuBackward, WideLayersMatchUnderEveryThreadSplit) {
  const Tensor x = Tensor::randn({2, 18, 17, 15}, 11), w = Tensor::randn({18, 13, 3, 4}, 12);
  const ConvTranspose2dParams transposed{IntPair(2, 1), IntPair(1, 2), IntPair(1, 0), IntPair(1, 2), 1};
  const Tensor xc = Tensor::randn({2, 12, 30, 29}, 13), wc = Tensor::randn({21, 4, 3, 3}, 14);
  const Conv2dParams conv{IntPair(2), IntPair(1), IntPair(1), 3};
  const BackwardCheck transposed_matches = transposed_backward_check(x, w, true, transposed, 21);
  const BackwardCheck conv2d_matches = conv2d_backward_check(xc, wc, true, conv, 22);
  for (const int threads : {1, 3, 8})
    for (const auto& [path_name, path] : testing::all_paths()) {
      SCOPED_TRACE("threads " + std::to_string(threads) + ", " + path_name);
      Threads scoped(threads);
      PathForced forced_path(path);
      EXPECT_TRUE(transposed_matches());
      EXPECT_TRUE(conv2d_matches());
    }
}

// The weight gradient sums over every pixel of the batch: up to 512 of them, each tile of grad_weight is finished
// by one microkernel call and stored in place; beyond, the pixels are cut into chunks (and parts summed at the end).
// Both, under several thread counts.
TEST(CpuBackward, ManyPixelsSumOverSeveralChunks) {
  const Tensor x = Tensor::randn({3, 7, 19, 21}, 41), w = Tensor::randn({7, 5, 3, 3}, 42);  // 1197 input pixels
  const ConvTranspose2dParams transposed{IntPair(2), IntPair(1), IntPair(1), IntPair(1), 1};
  const Tensor xc = Tensor::randn({2, 6, 40, 40}, 43), wc = Tensor::randn({9, 6, 3, 3}, 44);  // 2888 output pixels
  const Conv2dParams conv{IntPair(1), IntPair(0), IntPair(1), 1};
  const BackwardCheck transposed_matches = transposed_backward_check(x, w, true, transposed, 45);
  const BackwardCheck conv2d_matches = conv2d_backward_check(xc, wc, true, conv, 46);
  for (const int threads : {1, 2, 8})
    for (const auto& [path_name, path] : testing::all_paths()) {
      SCOPED_TRACE("threads " + std::to_string(threads) + ", " + path_name);
      Threads scoped(threads);
      PathForced forced_path(path);
      EXPECT_TRUE(transposed_matches());
      EXPECT_TRUE(conv2d_matches());
    }
}

// Many input channels make many rows of the weight gradient's GEMM, which with enough pixels takes the level's taller
// tiles where it has them: 140 rows (a partial last tile either way) with 288 pixels in one K chunk, and 132 rows
// over two chunks, at every kernel level and several thread counts.
TEST(CpuBackward, ManyInputChannelsTakeTallTiles) {
  const ConvTranspose2dParams params{IntPair(2), IntPair(1), IntPair(1), IntPair(1), 1};
  const Tensor x1 = Tensor::randn({2, 140, 12, 12}, 51), w1 = Tensor::randn({140, 6, 3, 3}, 52);
  const Tensor x2 = Tensor::randn({3, 132, 16, 12}, 54), w2 = Tensor::randn({132, 5, 3, 3}, 55);
  const BackwardCheck one_chunk = transposed_backward_check(x1, w1, true, params, 53);
  const BackwardCheck two_chunks = transposed_backward_check(x2, w2, true, params, 56);
  testing::each_level_and_thread_count([&](const std::string& setting) {
    SCOPED_TRACE(setting);
    EXPECT_TRUE(one_chunk());
    EXPECT_TRUE(two_chunks());
  });
}

// grad_input reads grad_output at the stride. With the packed-input GEMM, B is packed from runs where a tile's runs
// are few; where they are many (a tile spans two rows, with zeros at the padded ends), and where rows are short (an
// 8-pixel image), it is gathered: by vector gathers from the input, or a float at a time (runs, or through a padded
// copy), as the processor prefers. Input rows 32 pixels wide (whole AVX-512 tiles, padded), 20 (tiles cut, no
// padding), 23 and 35 (cut and padded) and 8, both ways, at every level and thread count; and a 23-pixel row of
// an image so small that the call streams its weight.
TEST(CpuBackward, StridedRowsPackedByRunsOrGathered) {
  const ConvTranspose2dParams k4{IntPair(2), IntPair(1), IntPair(0), IntPair(1), 1};
  const ConvTranspose2dParams k3{IntPair(2), IntPair(1), IntPair(1), IntPair(1), 1};
  const ConvTranspose2dParams k2{IntPair(2), IntPair(0), IntPair(0), IntPair(1), 1};
  const std::vector<BackwardCheck> checks{
      transposed_backward_check(Tensor::randn({2, 9, 9, 32}, 71), Tensor::randn({9, 6, 4, 4}, 72), false, k4, 73),
      transposed_backward_check(Tensor::randn({2, 9, 8, 20}, 80), Tensor::randn({9, 5, 2, 2}, 81), true, k2, 82),
      transposed_backward_check(Tensor::randn({2, 10, 7, 23}, 74), Tensor::randn({10, 5, 3, 3}, 75), true, k3, 76),
      transposed_backward_check(Tensor::randn({2, 12, 5, 35}, 77), Tensor::randn({12, 7, 4, 4}, 78), true, k4, 79),
      transposed_backward_check(Tensor::randn({5, 11, 8, 8}, 83), Tensor::randn({11, 6, 4, 4}, 84), true, k4, 85),
      transposed_backward_check(Tensor::randn({1, 10, 7, 23}, 86), Tensor::randn({10, 5, 3, 3}, 87), true, k3, 88)};
  PathForced packed(cpu::KernelPath::Gemm);
  for (const cpu::VectorGathers gathers : {cpu::VectorGathers::Always, cpu::VectorGathers::Never}) {
    GathersForced forced(gathers);
    testing::each_level_and_thread_count([&](const std::string& setting) {
      SCOPED_TRACE(setting + (gathers == cpu::VectorGathers::Always ? ", vector gathers" : ", no vector gathers"));
      for (const BackwardCheck& check : checks) EXPECT_TRUE(check());
    });
  }
}

// A generator's first layer (a 1x1 latent, no padding, the output exactly the kernel) reads grad_output as its
// columns when groups or images are one. Batches with and without groups, and layers just off that shape, at every
// kernel level.
TEST(CpuBackward, LatentInputsReadGradOutputAsTheirColumns) {
  struct Layer {
    int64_t batch, groups;
    ConvTranspose2dParams params;
  };
  const std::vector<Layer> layers{{1, 1, ConvTranspose2dParams{1, 0, 0, 1, 1}},
                                  {3, 1, ConvTranspose2dParams{2, 0, 0, 1, 1}},
                                  {1, 2, ConvTranspose2dParams{1, 0, 0, 1, 2}},
                                  {3, 2, ConvTranspose2dParams{1, 0, 0, 1, 2}},
                                  {2, 1, ConvTranspose2dParams{1, 1, 0, 1, 1}},
                                  {2, 1, ConvTranspose2dParams{2, 0, 1, 1, 1}}};
  uint64_t seed = 60;
  for (const Layer& layer : layers) {
    const Tensor x = Tensor::randn({layer.batch, 6 * layer.groups, 1, 1}, ++seed);
    const Tensor w = Tensor::randn({6 * layer.groups, 5, 4, 3}, ++seed);
    const BackwardCheck matches = transposed_backward_check(x, w, true, layer.params, ++seed);
    for (const std::string& level : cpu::supported_kernel_levels()) {
      SCOPED_TRACE(level + ", batch " + std::to_string(layer.batch) + ", groups " + std::to_string(layer.groups));
      KernelLevel forced(level);
      EXPECT_TRUE(matches());
    }
  }
}

// output_padding >= stride (allowed when the dilation is larger) leaves output rows no input reaches; grad_input
// must ignore them, not crop a larger conv2d wrongly.
TEST(CpuBackward, OutputPaddingBeyondTheStride) {
  const Tensor x = Tensor::randn({1, 2, 4, 5}, 31), w = Tensor::randn({2, 3, 2, 3}, 32);
  const ConvTranspose2dParams params{IntPair(1, 2), IntPair(0, 1), IntPair(2, 1), IntPair(3, 2), 1};
  EXPECT_TRUE(transposed_backward_matches(x, w, true, params, 33));
}

TEST(CpuBackward, GradOutputOfTheWrongShapeNamesTheExpectedOne) {
  const Tensor x = Tensor::randn({1, 2, 4, 4}, 1), w = Tensor::randn({2, 3, 3, 3}, 2);
  const ConvTranspose2dParams params{IntPair(2), IntPair(1), IntPair(1), IntPair(1), 1};  // output [1, 3, 8, 8]
  const Tensor wrong = Tensor::randn({1, 3, 7, 8}, 3);
  for (int pass = 0; pass < 2; ++pass) {
    try {
      if (pass == 0) cpu::conv_transpose2d_grad_input_cpu({1, 2, 4, 4}, w, wrong, params);
      if (pass == 1) cpu::conv_transpose2d_grad_weight_cpu(x, w.shape(), wrong, true, params);
      FAIL() << "pass " << pass;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
      EXPECT_EQ(e.parameter(), "grad_output");
      EXPECT_NE(std::string(e.what()).find("[1, 3, 8, 8]"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace convt

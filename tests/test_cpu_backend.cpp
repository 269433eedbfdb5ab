// The fast CPU backend against the reference on random configurations, at every microkernel level this machine
// supports, with outputs poisoned (NaN) first so an element the fast path forgets to write fails the test.
#include "random_config.h"
#include "cpu_test_util.h"
#include "test_util.h"
#include "../engine/src/cpu/columns.h"
#include "../engine/src/cpu/microkernels.h"
#include "../engine/src/cpu/scatter_gemm.h"
#include "../engine/src/cpu/strided_correlation.h"

#include <convt/backend.h>
#include <convt/cpu.h>
#include <convt/error.h>
#include <convt/ops.h>

#include <cmath>
#include <random>
#include <tuple>
#include <vector>

namespace convt {
namespace {

Tensor poisoned(const Shape& shape) { return Tensor::full(shape, NAN); }

// One layer's reference output and term scale, worked out once; matches() runs the fast path on its own choice of
// path, at whatever kernel level is forced then, into a poisoned output and compares.
struct AutomaticCheck {
  AutomaticCheck(const Tensor& x, const Tensor& w, const Tensor* bias, const ConvTranspose2dParams& params)
      : x(x), w(w), bias(bias), params(params), expected(conv_transpose2d_reference(x, w, bias, params)),
        scale(testing::conv_transpose2d_term_scale(x, w, bias, params)) {}
  ::testing::AssertionResult matches() const {
    Tensor actual = poisoned(expected.shape());
    cpu::conv_transpose2d_cpu_into(x, w, bias, params, actual);
    return testing::all_close_to_scale(actual, expected, scale, 2e-6);
  }
  const Tensor& x;
  const Tensor& w;
  const Tensor* bias;
  ConvTranspose2dParams params;
  Tensor expected, scale;
};

using testing::KernelLevel;
using testing::PathForced;
using testing::Threads;

TEST(CpuBackend, ConvTranspose2dMatchesReferenceAtEveryKernelLevel) {
  std::mt19937_64 rng(99);
  int checked = 0;
  for (const std::string& level : cpu::supported_kernel_levels())
    for (const auto& [path_name, path] : testing::all_paths()) {
      SCOPED_TRACE("kernel level " + level + ", " + path_name);
      KernelLevel forced(level);
      PathForced forced_path(path);
      for (int trial = 0; trial < 60; ++trial) {
        // Mostly small odd shapes, and every tenth case wide enough to span several pixel tiles and K blocks.
        const testing::RandomCase c = testing::random_conv_transpose2d_case(rng, trial % 10 == 0 ? 23 : 9);
        const Tensor* bias = c.bias ? &*c.bias : nullptr;
        const Tensor expected = conv_transpose2d_reference(c.input, c.weight, bias, c.params);
        Tensor actual = poisoned(expected.shape());
        cpu::conv_transpose2d_cpu_into(c.input, c.weight, bias, c.params, actual);
        const Tensor scale = testing::conv_transpose2d_term_scale(c.input, c.weight, bias, c.params);
        ASSERT_TRUE(testing::all_close_to_scale(actual, expected, scale, 2e-6))
            << "trial " << trial << " input " << shape_to_string(c.input.shape()) << " weight "
            << shape_to_string(c.weight.shape()) << " stride " << to_string(c.params.stride) << " padding "
            << to_string(c.params.padding) << " op " << to_string(c.params.output_padding) << " dilation "
            << to_string(c.params.dilation) << " groups " << c.params.groups;
        ++checked;
      }
    }
  EXPECT_GE(checked, 200);
}

TEST(CpuBackend, PackedWeightsServeAnyInputSize) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    // Weights packed into panels, or kept as they are for the direct kernels, under each path.
    PathForced forced_path(testing::all_paths()[static_cast<size_t>(trial) % testing::all_paths().size()].second);
    const testing::RandomCase c = testing::random_conv_transpose2d_case(rng);
    const auto packed = cpu::pack_conv_transpose2d_weight(c.weight, c.params);
    const Tensor* bias = c.bias ? &*c.bias : nullptr;
    // The same packed weight on the case's input and on a larger one with the same channels.
    for (const Tensor& x : {c.input, Tensor::randn({2, c.input.size(-3), c.input.size(-2) + 3, c.input.size(-1) + 1}, rng())}) {
      const Tensor expected = conv_transpose2d_reference(x, c.weight, bias, c.params);
      Tensor actual = poisoned(expected.shape());
      cpu::conv_transpose2d_cpu_into(x, *packed, bias, c.params, actual);
      ASSERT_TRUE(testing::all_close_to_scale(actual, expected,
                                              testing::conv_transpose2d_term_scale(x, c.weight, bias, c.params), 2e-6))
          << "trial " << trial << " input " << shape_to_string(x.shape());
    }
  }
  // Panels packed for one microkernel, refused by another; packed for other parameters, refused. (Thin groups keep
  // the weight itself, which serves every level: this layer has 5 channels per group on each side: panels.)
  const Tensor w = Tensor::randn({5, 5, 3, 3}, 1), x = Tensor::randn({1, 5, 4, 4}, 2);
  const auto packed = cpu::pack_conv_transpose2d_weight(w, ConvTranspose2dParams{2, 1, 0, 1, 1});
  EXPECT_THROW(cpu::conv_transpose2d_cpu(x, *packed, nullptr, ConvTranspose2dParams{1, 1, 0, 1, 1}), Error);
  if (cpu::supported_kernel_levels().size() > 1) {
    KernelLevel other(cpu::supported_kernel_levels().back());
    EXPECT_THROW(cpu::conv_transpose2d_cpu(x, *packed, nullptr, ConvTranspose2dParams{2, 1, 0, 1, 1}), Error);
  }
}

TEST(CpuBackend, ManyChannelsCrossTheKBlocks) {
  // K = C_in/groups * taps beyond one 256-deep block, and C_out not a multiple of any register tile.
  const Tensor x = Tensor::randn({2, 300, 5, 4}, 1), w = Tensor::randn({300, 13, 3, 3}, 2), b = Tensor::randn({13}, 3);
  const ConvTranspose2dParams params{2, 1, 1, 1, 1};
  const Tensor expected = conv_transpose2d_reference(x, w, &b, params);
  const Tensor scale = testing::conv_transpose2d_term_scale(x, w, &b, params);
  for (const std::string& level : cpu::supported_kernel_levels())
    for (const auto& [path_name, path] : testing::all_paths()) {
      KernelLevel forced(level);
      PathForced forced_path(path);
      Tensor actual = poisoned(expected.shape());
      cpu::conv_transpose2d_cpu_into(x, w, &b, params, actual);
      EXPECT_TRUE(testing::all_close_to_scale(actual, expected, scale, 2e-6)) << level << ", " << path_name;
    }
}

// At stride 2 a row phase's two column phases run together, and both GEMMs store their tiles side by side, a run of
// an output row at a time (12 outputs a channel for a whole pair of 6-pixel tiles with the input in place), with
// tiles that wrap into the next row or end the plan part-full. A right phase one pixel short (from 16 pixels a row)
// is widened by a stand-in column that is never stored: odd output widths of 35 below, at stride 2 and at stride
// (1, 2), where the rows of a phase are adjacent and a run of equal phases goes on into the next row. Narrower odd
// widths leave the phases unpaired, each stored alone. 24 and 13 output channels put a channel in every lane of the
// 8-channel groups and end one part-full; the widths make tiles wrap rows, or not.
TEST(CpuBackend, ColumnPhasesStoredSideBySide) {
  struct Layer {
    Shape input;
    int64_t out_channels, groups;
    ConvTranspose2dParams params;
  };
  const Layer layers[] = {
      {{2, 16, 7, 13}, 24, 1, {IntPair(2), IntPair(1), IntPair(0), IntPair(1), 1}},
      {{1, 8, 6, 12}, 13, 1, {IntPair(2), IntPair(1), IntPair(1), IntPair(1), 1}},
      {{2, 12, 5, 9}, 40, 2, {IntPair(2, 2), IntPair(2, 1), IntPair(1, 0), IntPair(1), 2}},
      {{1, 8, 9, 10}, 24, 1, {IntPair(2), IntPair(0), IntPair(1), IntPair(1), 1}},  // odd width: no pairs
      {{2, 8, 3, 32}, 13, 1, {IntPair(2), IntPair(1), IntPair(0), IntPair(1), 1}},
      {{1, 8, 4, 20}, 24, 1, {IntPair(2), IntPair(1), IntPair(1), IntPair(1), 1}},
      {{2, 8, 5, 17}, 13, 1, {IntPair(2), IntPair(1), IntPair(1), IntPair(1), 1}},
      {{2, 12, 6, 17}, 24, 2, {IntPair(1, 2), IntPair(0, 1), IntPair(0, 1), IntPair(1), 2}},
      {{2, 8, 6, 16}, 13, 1, {IntPair(1, 2), IntPair(0), IntPair(0), IntPair(1), 1}},
  };
  uint64_t seed = 30;
  for (const Layer& layer : layers) {
    const Tensor x = Tensor::randn(layer.input, ++seed);
    const Tensor w = Tensor::randn({layer.input[1], layer.out_channels / layer.groups, 4, 4}, ++seed);
    const Tensor b = Tensor::randn({layer.out_channels}, ++seed);
    const Tensor expected = conv_transpose2d_reference(x, w, &b, layer.params);
    const Tensor scale = testing::conv_transpose2d_term_scale(x, w, &b, layer.params);
    for (const std::string& level : cpu::supported_kernel_levels())
      for (const cpu::KernelPath path : {cpu::KernelPath::GemmInPlace, cpu::KernelPath::Gemm})
        for (const int threads : {1, 2, 3}) {
          KernelLevel forced(level);
          PathForced forced_path(path);
          Threads scoped(threads);
          Tensor actual = poisoned(expected.shape());
          cpu::conv_transpose2d_cpu_into(x, w, &b, layer.params, actual);
          EXPECT_TRUE(testing::all_close_to_scale(actual, expected, scale, 2e-6))
              << shape_to_string(layer.input) << " to " << layer.out_channels << " channels, " << level << ", "
              << (path == cpu::KernelPath::Gemm ? "packed" : "in place") << ", " << threads << " threads";
        }
  }
}

// Few pixels in rows of whole 8-pixel segments: streaming reads both GEMM operands in place, the weight as the user
// hands it and B from the input's padded planes (split by the x stride in a strided convolution). The last tile
// of each layer is half full, so its second segment reads nothing of the plan's (a wrong pointer there reads past
// the planes, which the sanitizer build catches). Every level and thread count against the reference.
TEST(CpuBackend, StreamingReadsBothOperandsInPlace) {
  struct TransposedLayer {
    Shape input;
    int64_t out_channels;
    ConvTranspose2dParams params;
  };
  const TransposedLayer transposed[] = {
      {{1, 40, 3, 8}, 13, {IntPair(2), IntPair(1), IntPair(0), IntPair(1), 1}},
      {{2, 24, 1, 16}, 10, {IntPair(2), IntPair(1), IntPair(0), IntPair(1), 2}},
  };
  struct Layer {
    Shape input;
    int64_t out_channels, kernel;
    Conv2dParams params;
  };
  const Layer strided[] = {
      {{1, 30, 10, 16}, 14, 3, {IntPair(2), IntPair(1), IntPair(1), 1}},
      {{1, 16, 9, 24}, 7, 3, {IntPair(3), IntPair(2), IntPair(2), 1}},
      {{1, 32, 8, 16}, 8, 3, {IntPair(2, 2), IntPair(0, 1), IntPair(1), 4}},
  };
  uint64_t seed = 50;
  for (const TransposedLayer& layer : transposed) {
    const Tensor x = Tensor::randn(layer.input, ++seed);
    const int64_t groups = layer.params.groups;
    const Tensor w = Tensor::randn({layer.input[1], layer.out_channels / groups, 4, 4}, ++seed);
    const Tensor b = Tensor::randn({layer.out_channels / groups * groups}, ++seed);
    const Tensor expected = conv_transpose2d_reference(x, w, &b, layer.params);
    const Tensor scale = testing::conv_transpose2d_term_scale(x, w, &b, layer.params);
    testing::each_level_and_thread_count([&](const std::string& setting) {
      Tensor actual = poisoned(expected.shape());
      cpu::conv_transpose2d_cpu_into(x, w, &b, layer.params, actual);
      EXPECT_TRUE(testing::all_close_to_scale(actual, expected, scale, 2e-6))
          << "transposed " << shape_to_string(layer.input) << ", " << setting;
    });
  }
  for (const Layer& layer : strided) {
    const Tensor x = Tensor::randn(layer.input, ++seed);
    const int64_t k = layer.kernel;
    const Tensor w = Tensor::randn({layer.out_channels, layer.input[1] / layer.params.groups, k, k}, ++seed);
    const Tensor b = Tensor::randn({layer.out_channels}, ++seed);
    const Tensor expected = conv2d_reference(x, w, &b, layer.params);
    const Tensor scale = testing::conv2d_term_scale(x, w, &b, layer.params);
    ASSERT_EQ(expected.shape()[3] % 8, 0) << "the layer must have rows of whole segments";
    testing::each_level_and_thread_count([&](const std::string& setting) {
      Tensor actual = poisoned(expected.shape());
      cpu::conv2d_cpu_into(x, w, &b, layer.params, actual);
      EXPECT_TRUE(testing::all_close_to_scale(actual, expected, scale, 2e-6))
          << "strided " << shape_to_string(layer.input) << ", " << setting;
    });
  }
}

// Streaming conv2d's weight (as grad_input of conv_transpose2d does), whose rows hold their K steps in order, a K
// block takes whole rows while the block's B fits a quarter of L2. 2100 input channels of 3x3 kernels give a B of
// over 1 MB for one tile, so the rows are still cut into several blocks on any core with up to 4 MB of L2; 12 output
// channels leave the last register tile part empty, and the second layer takes more than one tile per plan.
TEST(CpuBackend, StreamingConv2dCutsLongWeightRowsIntoBlocks) {
  const Shape inputs[] = {{1, 2100, 4, 4}, {1, 1100, 6, 10}};
  const Conv2dParams params{IntPair(1), IntPair(1), IntPair(1), 1};
  uint64_t seed = 70;
  for (const Shape& input : inputs) {
    const Tensor x = Tensor::randn(input, ++seed);
    const Tensor w = Tensor::randn({12, input[1], 3, 3}, ++seed);
    const Tensor b = Tensor::randn({12}, ++seed);
    const Tensor expected = conv2d_reference(x, w, &b, params);
    const Tensor scale = testing::conv2d_term_scale(x, w, &b, params);
    testing::each_level_and_thread_count([&](const std::string& setting) {
      Tensor actual = poisoned(expected.shape());
      cpu::conv2d_cpu_into(x, w, &b, params, actual);
      EXPECT_TRUE(testing::all_close_to_scale(actual, expected, scale, 2e-6))
          << shape_to_string(input) << ", " << setting;
    });
  }
}

// A batch-1 layer with a small image has too few pixel tiles to go round the threads: its output channels are cut
// into ranges instead, each task packing its own rows of the weight. Every thread count must give the same result,
// per call and prepacked, on every path, with C_out not a multiple of the register tile and K crossing several blocks.
TEST(CpuBackend, FewPixelsSplitTheOutputChannelsAcrossThreads) {
  const Tensor x = Tensor::randn({1, 200, 3, 4}, 5), w = Tensor::randn({200, 77, 4, 3}, 6), b = Tensor::randn({77}, 7);
  const ConvTranspose2dParams params{IntPair(2, 3), IntPair(1, 0), IntPair(1, 2), IntPair(1, 1), 1};
  const Tensor expected = conv_transpose2d_reference(x, w, &b, params);
  const Tensor scale = testing::conv_transpose2d_term_scale(x, w, &b, params);
  for (const std::string& level : cpu::supported_kernel_levels()) {
    KernelLevel forced(level);
    const auto packed = cpu::pack_conv_transpose2d_weight(w, params);
    for (const int threads : {1, 2, 3, 8})
      for (const auto& [path_name, path] : testing::all_paths()) {
        Threads scoped(threads);
        PathForced forced_path(path);
        Tensor per_call = poisoned(expected.shape()), prepacked = poisoned(expected.shape());
        cpu::conv_transpose2d_cpu_into(x, w, &b, params, per_call);
        cpu::conv_transpose2d_cpu_into(x, *packed, &b, params, prepacked);
        EXPECT_TRUE(testing::all_close_to_scale(per_call, expected, scale, 2e-6))
            << level << ", " << path_name << ", " << threads << " threads";
        EXPECT_TRUE(testing::all_close_to_scale(prepacked, expected, scale, 2e-6))
            << level << ", " << path_name << ", " << threads << " threads";
      }
  }
}

// Decoder layers (C_in >= 2 C_out at stride 2, enough pixels to pack) take the scatter GEMM of their own accord:
// its tasks own whole images and ranges of output channels, its tiles cross from one image into the next, and 67
// output channels end in a partial range. Every thread count must agree with the reference. An ONNX-style layer
// (asymmetric padding, groups, dilation, unequal strides) is forced through the same path, and so are layers whose
// input rows are longer than a vector of additions into the output (20 pixels at stride 1, 19 at stride 2), with
// taps that fall off every edge. At stride 2, whole kernel rows of 3 and 4 taps are added at once: rows of 21 and 40
// pixels (a run of a whole 32-pixel tile), and 3x3 kernels whose rows are cut by the blocks of 8 rows. Tasks of
// several tile groups fill each group's output rows with the bias during the products of the group before: images
// of 420 pixels (one image, two or more groups per task), and of 100 pixels (several images and groups per task,
// with an output_padding row that no tap reaches).
TEST(CpuBackend, ScatterGemmAgreesUnderEveryThreadSplit) {
  struct Layer {
    Tensor x, w, b;
    ConvTranspose2dParams params;
    bool forced;
  };
  ConvTranspose2dParams onnx{IntPair(2, 3), IntPair(1, 2), IntPair(1, 0), IntPair(2, 1), 2};
  onnx.padding_end = IntPair(0, 3);
  const std::vector<Layer> layers{
      {Tensor::randn({3, 136, 7, 9}, 11), Tensor::randn({136, 67, 4, 4}, 12), Tensor::randn({67}, 13),
       ConvTranspose2dParams{2, 1, 1, 1, 1}, false},
      {Tensor::randn({2, 12, 6, 5}, 14), Tensor::randn({12, 3, 3, 3}, 15), Tensor::randn({6}, 16), onnx, true},
      {Tensor::randn({2, 6, 3, 20}, 17), Tensor::randn({6, 5, 3, 3}, 18), Tensor::randn({5}, 19),
       ConvTranspose2dParams{1, 2, 0, 1, 1}, true},
      {Tensor::randn({1, 6, 4, 19}, 20), Tensor::randn({6, 5, 4, 4}, 21), Tensor::randn({5}, 22),
       ConvTranspose2dParams{2, 2, 1, 1, 1}, true},
      {Tensor::randn({2, 6, 3, 21}, 23), Tensor::randn({6, 5, 3, 3}, 24), Tensor::randn({5}, 25),
       ConvTranspose2dParams{2, 1, 1, 1, 1}, true},
      {Tensor::randn({1, 5, 3, 40}, 26), Tensor::randn({5, 4, 4, 4}, 27), Tensor::randn({4}, 28),
       ConvTranspose2dParams{2, 1, 0, 1, 1}, true},
      {Tensor::randn({2, 8, 20, 21}, 29), Tensor::randn({8, 5, 4, 4}, 30), Tensor::randn({5}, 31),
       ConvTranspose2dParams{2, 1, 1, 1, 1}, true},
      {Tensor::randn({4, 6, 10, 10}, 32), Tensor::randn({6, 5, 3, 3}, 33), Tensor::randn({5}, 34),
       ConvTranspose2dParams{2, 0, 1, 1, 1}, true}};
  for (const Layer& layer : layers) {
    const Tensor expected = conv_transpose2d_reference(layer.x, layer.w, &layer.b, layer.params);
    const Tensor scale = testing::conv_transpose2d_term_scale(layer.x, layer.w, &layer.b, layer.params);
    for (const std::string& level : cpu::supported_kernel_levels())
      for (const int threads : {1, 2, 3, 8}) {
        KernelLevel forced(level);
        Threads scoped(threads);
        PathForced forced_path(layer.forced ? cpu::KernelPath::ScatterGemm : cpu::KernelPath::Automatic);
        Tensor actual = poisoned(expected.shape());
        cpu::conv_transpose2d_cpu_into(layer.x, layer.w, &layer.b, layer.params, actual);
        EXPECT_TRUE(testing::all_close_to_scale(actual, expected, scale, 2e-6))
            << level << ", " << threads << " threads, input " << shape_to_string(layer.x.shape());
      }
  }
}

// GEMMs with many rows take the level's taller tiles where it has them. The scatter GEMM's rows are every output
// channel's taps: 176 (11 channels of 4x4 taps, a partial last tile of 12 rows), and 144 per group of two. The
// phase GEMM with the weight packed into panels has a row per output channel: 140, over more pixel tiles than one
// task holds (fewer would stream the weight). At every kernel level and thread count, they must agree with the
// reference.
TEST(CpuBackend, GemmsWithManyRowsTakeTallTiles) {
  ConvTranspose2dParams grouped{2, 1, 1, 1, 1};
  grouped.groups = 2;
  const std::vector<std::tuple<Tensor, Tensor, Tensor, ConvTranspose2dParams, cpu::KernelPath>> layers{
      {Tensor::randn({2, 40, 5, 6}, 31), Tensor::randn({40, 11, 4, 4}, 32), Tensor::randn({11}, 33),
       ConvTranspose2dParams{2, 1, 0, 1, 1}, cpu::KernelPath::ScatterGemm},
      {Tensor::randn({3, 48, 4, 5}, 34), Tensor::randn({48, 9, 4, 4}, 35), Tensor::randn({18}, 36), grouped,
       cpu::KernelPath::ScatterGemm},
      {Tensor::randn({2, 24, 20, 18}, 37), Tensor::randn({24, 140, 3, 3}, 38), Tensor::randn({140}, 39),
       ConvTranspose2dParams{2, 1, 1, 1, 1}, cpu::KernelPath::Gemm}};
  for (const auto& [x, w, b, params, path] : layers) {
    const Tensor expected = conv_transpose2d_reference(x, w, &b, params);
    const Tensor scale = testing::conv_transpose2d_term_scale(x, w, &b, params);
    testing::each_level_and_thread_count([&](const std::string& setting) {
      PathForced forced_path(path);
      Tensor actual = poisoned(expected.shape());
      cpu::conv_transpose2d_cpu_into(x, w, &b, params, actual);
      EXPECT_TRUE(testing::all_close_to_scale(actual, expected, scale, 2e-6))
          << setting << ", weight " << shape_to_string(w.shape());
    });
  }
}

// Streaming takes the level's narrow tiles only where they save a third of the tile pixels or more: 4x4 phases of
// one image (16 pixels, half of a wide tile), not 48 pixels (three such images) nor 100 (four 5x5 images), whose
// narrow tiles save a quarter or less and cost more per pixel. The forward's inputs that small take the columns
// GEMM, so the layers are stride-2 conv2d's (grad_input's GEMM), with 4 MFLOP or more so that they run threaded:
// taken automatically at every level and thread count, each matches the reference.
TEST(CpuBackend, StreamingTakesNarrowTilesOnlyWhereTheySaveAThird) {
  const std::vector<std::pair<std::vector<int64_t>, bool>> pixel_counts{
      {{16, 16, 16, 16}, true}, {{9, 6, 6, 4}, true},       {{16, 16, 16, 40}, true},
      {{48, 48, 48, 48}, false}, {{36, 36, 36, 36}, false}, {{100, 100, 100, 100}, false}};
  for (const std::string& level : cpu::supported_kernel_levels()) {
    KernelLevel forced(level);
    const cpu::MicroKernel& kernel = cpu::active_microkernel();
    for (const auto& [pixels, narrow] : pixel_counts)
      EXPECT_EQ(cpu::takes_narrow_tiles(pixels, kernel), narrow && kernel.narrow != nullptr)
          << level << ", " << ::testing::PrintToString(pixels) << " pixels";
  }
  const std::vector<std::pair<Shape, int64_t>> layers{{{1, 128, 8, 8}, 4}, {{3, 128, 8, 8}, 4}, {{4, 128, 10, 10}, 3}};
  const Conv2dParams stride2{IntPair(2), IntPair(1), IntPair(1), 1};
  uint64_t seed = 90;
  for (const auto& [input, kernel] : layers) {
    const Tensor x = Tensor::randn(input, ++seed), w = Tensor::randn({64, input[1], kernel, kernel}, ++seed);
    const Tensor b = Tensor::randn({64}, ++seed);
    const Tensor expected = conv2d_reference(x, w, &b, stride2);
    const Tensor scale = testing::conv2d_term_scale(x, w, &b, stride2);
    testing::each_level_and_thread_count([&](const std::string& setting) {
      Tensor actual = poisoned(expected.shape());
      cpu::conv2d_cpu_into(x, w, &b, stride2, actual);
      EXPECT_TRUE(testing::all_close_to_scale(actual, expected, scale, 2e-6)) << setting << ", " << shape_to_string(input);
    });
  }
}

// Streaming splits its tiles among the threads, one task each, each packing its own tiles' B, whenever they go
// evenly round, and unevenly for fewer than 128 output channels where every thread still gets tiles (5 on 3 threads,
// not 4). Single images of 80 and 144 pixels a phase take 3 and 5 tiles of 32 pixels (5 and 9 of 16 at the narrower
// levels, where 9 no longer streams), so the last task holds fewer tiles than the others; the second layer has two
// groups. At every level and thread count the forward, and a stride-1 conv2d (grad_input's GEMM), match the
// reference; all run threaded (over 4 MFLOP).
TEST(CpuBackend, StreamingSplitsOddTilesForFewOutputChannels) {
  EXPECT_TRUE(cpu::splits_streamed_tiles(4, 2, 512));
  EXPECT_TRUE(cpu::splits_streamed_tiles(5, 2, 96));
  EXPECT_TRUE(cpu::splits_streamed_tiles(5, 3, 64));
  EXPECT_FALSE(cpu::splits_streamed_tiles(4, 3, 64));
  EXPECT_FALSE(cpu::splits_streamed_tiles(5, 2, 128));
  EXPECT_FALSE(cpu::splits_streamed_tiles(1, 2, 64));
  struct Layer {
    Shape input;
    int64_t out_channels, groups;
  };
  const std::vector<Layer> layers{{{1, 96, 5, 16}, 40, 1}, {{1, 96, 12, 12}, 48, 2}};
  uint64_t seed = 110;
  for (const Layer& layer : layers) {
    const int64_t in_channels = layer.input[1], groups = layer.groups;
    ConvTranspose2dParams k4s2{2, 1, 0, 1, 1};
    k4s2.groups = groups;
    const Conv2dParams k3s1{IntPair(1), IntPair(1), IntPair(1), groups};
    const Tensor x = Tensor::randn(layer.input, ++seed), b = Tensor::randn({layer.out_channels}, ++seed);
    const Tensor transposed_w = Tensor::randn({in_channels, layer.out_channels / groups, 4, 4}, ++seed);
    const Tensor conv_w = Tensor::randn({layer.out_channels, in_channels / groups, 3, 3}, ++seed);
    const AutomaticCheck check(x, transposed_w, &b, k4s2);
    const Tensor conv_expected = conv2d_reference(x, conv_w, &b, k3s1);
    const Tensor conv_scale = testing::conv2d_term_scale(x, conv_w, &b, k3s1);
    testing::each_level_and_thread_count([&](const std::string& setting) {
      EXPECT_TRUE(check.matches()) << setting << ", transposed " << shape_to_string(layer.input);
      Tensor actual = poisoned(conv_expected.shape());
      cpu::conv2d_cpu_into(x, conv_w, &b, k3s1, actual);
      EXPECT_TRUE(testing::all_close_to_scale(actual, conv_expected, conv_scale, 2e-6))
          << setting << ", conv2d " << shape_to_string(layer.input);
    });
  }
}

// A generator's first layer (a 1x1 latent, no padding, the output exactly the kernel) writes its columns straight
// into the output when groups or images are one. Batches below and above the microkernel's tile (its two ways of
// computing columns), with groups, with and without bias, and layers just off that shape (padding, output_padding,
// dilation, both groups and images above one) must all match the reference.
TEST(CpuBackend, LatentInputsWriteTheirColumnsIntoTheOutput) {
  struct Layer {
    int64_t batch, groups;
    ConvTranspose2dParams params;
  };
  const std::vector<Layer> layers{
      {1, 1, ConvTranspose2dParams{1, 0, 0, 1, 1}},  {3, 1, ConvTranspose2dParams{2, 0, 0, 1, 1}},
      {11, 1, ConvTranspose2dParams{1, 0, 0, 1, 1}}, {1, 2, ConvTranspose2dParams{1, 0, 0, 1, 2}},
      {3, 2, ConvTranspose2dParams{1, 0, 0, 1, 2}},  {11, 2, ConvTranspose2dParams{1, 0, 0, 1, 2}},
      {2, 1, ConvTranspose2dParams{1, 1, 0, 1, 1}},  {2, 1, ConvTranspose2dParams{2, 0, 1, 1, 1}},
      {2, 1, ConvTranspose2dParams{1, 0, 0, 2, 1}}};
  int seed = 40;
  for (const Layer& layer : layers)
    for (const bool with_bias : {false, true}) {
      const Tensor x = Tensor::randn({layer.batch, 6 * layer.groups, 1, 1}, ++seed);
      const Tensor w = Tensor::randn({6 * layer.groups, 5, 4, 3}, ++seed), b = Tensor::randn({5 * layer.groups}, ++seed);
      const AutomaticCheck check(x, w, with_bias ? &b : nullptr, layer.params);
      for (const std::string& level : cpu::supported_kernel_levels()) {
        KernelLevel forced(level);
        EXPECT_TRUE(check.matches())
            << level << ", batch " << layer.batch << ", groups " << layer.groups << ", bias " << with_bias
            << ", stride " << to_string(layer.params.stride) << ", padding " << to_string(layer.params.padding)
            << ", output_padding " << to_string(layer.params.output_padding);
      }
    }
}

// Strides of 3x3 and more on inputs of few pixels (at most 128, which every level's tiles allow) take the columns
// (use_columns_forward) at the levels that choose so (MicroKernel::columns_for_many_phases); a stride of 2, more
// pixels, or thin groups keep their own paths. Each layer, taken automatically at every level, matches the
// reference.
TEST(CpuBackend, ManyPhasesOfFewPixelsTakeTheColumns) {
  struct Layer {
    Shape input;
    int64_t out_per_group, kernel, groups;
    ConvTranspose2dParams params;
    bool columns;
  };
  const ConvTranspose2dParams k4s4{4, 0, 0, 1, 1}, k8s4{4, 2, 0, 1, 1}, k3s3{3, 0, 2, 1, 1};
  const ConvTranspose2dParams rectangular{IntPair(3, 4), IntPair(1, 0), IntPair(2, 1), IntPair(1, 1), 1};
  const std::vector<Layer> layers{
      {{1, 24, 10, 11}, 12, 4, 1, k4s4, true},   {{2, 20, 5, 7}, 9, 8, 1, k8s4, true},
      {{2, 16, 8, 8}, 6, 3, 2, k3s3, true},      {{1, 10, 9, 6}, 7, 4, 1, rectangular, true},
      {{1, 24, 40, 40}, 12, 4, 1, k4s4, false},  {{1, 16, 12, 12}, 1, 3, 16, k3s3, false},
      {{1, 24, 12, 12}, 12, 4, 1, ConvTranspose2dParams{2, 1, 0, 1, 1}, false}};
  int seed = 70;
  for (const Layer& layer : layers) {
    const int64_t channels = layer.input[1];
    const Tensor x = Tensor::randn(layer.input, ++seed);
    const Tensor w = Tensor::randn({channels, layer.out_per_group, layer.kernel, layer.kernel}, ++seed);
    const Tensor b = Tensor::randn({layer.out_per_group * layer.groups}, ++seed);
    ConvTranspose2dParams params = layer.params;
    params.groups = layer.groups;
    const std::string name = "input " + shape_to_string(layer.input) + " stride " + to_string(params.stride);
    const ConvTranspose2dGeometry g = validate_conv_transpose2d(x.shape(), w.shape(), b.shape(), params);
    const AutomaticCheck check(x, w, &b, params);
    for (const std::string& level : cpu::supported_kernel_levels()) {
      KernelLevel forced(level);
      EXPECT_EQ(cpu::use_columns_forward(g, params), layer.columns && cpu::active_microkernel().columns_for_many_phases)
          << level << ", " << name;
      EXPECT_TRUE(check.matches()) << level << ", " << name;
    }
  }
}

// Where the phase GEMM would read its input in place with half of its tiles' output channels or more empty, the
// scatter GEMM takes a batch of several images, not a single one, nor a stride of 1, nor a layer with more output
// than input channels (use_scatter_gemm), at the levels that choose so (MicroKernel::scatter_for_empty_lanes; 8 or
// fewer output channels leave half of every level's tiles empty). Each layer, taken automatically at every level,
// matches the reference.
TEST(CpuBackend, FewOutputChannelsOnSeveralImagesTakeTheScatterGemm) {
  struct Layer {
    Shape input;
    int64_t out_channels, kernel;
    ConvTranspose2dParams params;
    bool scatter;
  };
  const ConvTranspose2dParams k4s2{2, 1, 0, 1, 1}, k5s2{2, 2, 1, 1, 1}, k3s1{1, 1, 0, 1, 1};
  const std::vector<Layer> layers{{{2, 24, 16, 16}, 6, 4, k4s2, true},  {{3, 20, 13, 11}, 5, 5, k5s2, true},
                                  {{1, 24, 24, 24}, 6, 4, k4s2, false}, {{2, 24, 16, 16}, 6, 3, k3s1, false},
                                  {{2, 6, 16, 16}, 8, 4, k4s2, false},  {{2, 96, 16, 16}, 48, 4, k4s2, false}};
  int seed = 90;
  for (const Layer& layer : layers) {
    const Tensor x = Tensor::randn(layer.input, ++seed);
    const Tensor w = Tensor::randn({layer.input[1], layer.out_channels, layer.kernel, layer.kernel}, ++seed);
    const Tensor b = Tensor::randn({layer.out_channels}, ++seed);
    const std::string name = "input " + shape_to_string(layer.input) + ", " + std::to_string(layer.out_channels) +
                             " output channels, stride " + to_string(layer.params.stride);
    const ConvTranspose2dGeometry g = validate_conv_transpose2d(x.shape(), w.shape(), b.shape(), layer.params);
    const AutomaticCheck check(x, w, &b, layer.params);
    for (const std::string& level : cpu::supported_kernel_levels()) {
      KernelLevel forced(level);
      const bool scatter = layer.scatter && cpu::active_microkernel().scatter_for_empty_lanes;
      EXPECT_EQ(cpu::use_scatter_gemm(g, layer.params, false, cpu::PhaseGemmInput::InPlace), scatter)
          << level << ", " << name;
      EXPECT_FALSE(cpu::use_scatter_gemm(g, layer.params, true, cpu::PhaseGemmInput::InPlace)) << level << ", thin";
      EXPECT_FALSE(cpu::use_scatter_gemm(g, layer.params, false, cpu::PhaseGemmInput::Streamed))
          << level << ", streamed";
      EXPECT_TRUE(check.matches()) << level << ", " << name;
    }
  }
}

TEST(CpuBackend, Conv2dMatchesReference) {
  std::mt19937_64 rng(17);
  for (int checked = 0; checked < 120; ++checked) {
    PathForced forced_path(testing::all_paths()[static_cast<size_t>(checked) % testing::all_paths().size()].second);
    const testing::RandomConv2dCase c = testing::random_conv2d_case(rng);
    const Tensor expected = conv2d_reference(c.input, c.weight, &c.bias, c.params);
    Tensor actual = poisoned(expected.shape());
    cpu::conv2d_cpu_into(c.input, c.weight, &c.bias, c.params, actual);
    ASSERT_TRUE(testing::all_close_to_scale(actual, expected, c.scale, 2e-6)) << "case " << checked;
  }
}

// The packed GEMM's forwards gather their input where its rows are short (a transposed conv's 7-pixel phases, as
// gan_k5s2's) or where a strided conv2d's rows cut its tiles into many runs (18-pixel output rows, padded): with
// vector gathers from the input, or a float at a time, as the processor prefers. Both ways, at every level and
// thread count.
TEST(CpuBackend, PackedGemmGathersItsInputBothWays) {
  const Tensor x = Tensor::randn({6, 6, 7, 7}, 31), w = Tensor::randn({6, 9, 5, 5}, 32), b = Tensor::randn({9}, 33);
  const ConvTranspose2dParams transposed{IntPair(2), IntPair(2), IntPair(1), IntPair(1), 1};
  const Tensor expected = conv_transpose2d_reference(x, w, &b, transposed);
  const Tensor scale = testing::conv_transpose2d_term_scale(x, w, &b, transposed);
  const Tensor xc = Tensor::randn({2, 5, 40, 35}, 34), wc = Tensor::randn({7, 5, 3, 3}, 35);
  const Tensor bc = Tensor::randn({7}, 36);
  const Conv2dParams conv{IntPair(2), IntPair(1), IntPair(1), 1};
  const Tensor expected_c = conv2d_reference(xc, wc, &bc, conv);
  const Tensor scale_c = testing::conv2d_term_scale(xc, wc, &bc, conv);
  PathForced packed(cpu::KernelPath::Gemm);
  for (const cpu::VectorGathers gathers : {cpu::VectorGathers::Always, cpu::VectorGathers::Never}) {
    testing::GathersForced forced(gathers);
    testing::each_level_and_thread_count([&](const std::string& setting) {
      SCOPED_TRACE(setting + (gathers == cpu::VectorGathers::Always ? ", vector gathers" : ", no vector gathers"));
      Tensor actual = poisoned(expected.shape());
      cpu::conv_transpose2d_cpu_into(x, w, &b, transposed, actual);
      EXPECT_TRUE(testing::all_close_to_scale(actual, expected, scale, 2e-6));
      Tensor actual_c = poisoned(expected_c.shape());
      cpu::conv2d_cpu_into(xc, wc, &bc, conv, actual_c);
      EXPECT_TRUE(testing::all_close_to_scale(actual_c, expected_c, scale_c, 2e-6));
    });
  }
}

// Only the phases with taps run (at most min(k, s) per axis) and the rest get the bias, so a stride of 10^9
// is as quick as any other; packed weights agree.
TEST(CpuBackend, HugeStridesRunOnlyThePhasesWithTaps) {
  for (const int64_t stride : {int64_t{3}, int64_t{1000000000}}) {
    const ConvTranspose2dParams params{IntPair(stride, 5), IntPair(1, 0), IntPair(0), IntPair(2, 1), 1};
    const Tensor input = Tensor::randn({2, 3, 1, 2}, 4), weight = Tensor::randn({3, 4, 3, 2}, 5);
    const Tensor bias = Tensor::randn({4}, 6);
    const Tensor expected = conv_transpose2d_reference(input, weight, &bias, params);
    const Tensor scale = testing::conv_transpose2d_term_scale(input, weight, &bias, params);
    EXPECT_TRUE(testing::all_close_to_scale(cpu::conv_transpose2d_cpu(input, weight, &bias, params), expected, scale, 2e-6));
    const auto packed = cpu::pack_conv_transpose2d_weight(weight, params);
    EXPECT_TRUE(testing::all_close_to_scale(cpu::conv_transpose2d_cpu(input, *packed, &bias, params), expected, scale, 2e-6));
  }
}

TEST(CpuBackend, ReportsItsKernel) {
  const Availability cpu = backend_by_name("cpu").availability();
  ASSERT_TRUE(cpu.available);
  EXPECT_NE(cpu.reason.find(cpu::active_kernel_level()), std::string::npos);
  EXPECT_FALSE(cpu::supported_kernel_levels().empty());
  EXPECT_EQ(cpu::supported_kernel_levels().back(), "generic");
  EXPECT_THROW(cpu::force_kernel_level("sse9"), Error);
  Tensor wrong({1, 1, 2, 2});
  EXPECT_THROW(cpu::conv_transpose2d_cpu_into(Tensor::ones({1, 1, 2, 2}), Tensor::ones({1, 1, 2, 2}), nullptr,
                                              ConvTranspose2dParams{}, wrong),
               Error);
}

}  // namespace
}  // namespace convt

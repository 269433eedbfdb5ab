// The CUDA backend against the reference on random configurations, outputs poisoned (NaN) on the device first.
// Machines without a usable GPU (CI) skip these tests and say why; the phase math the kernels use is covered on
// the CPU by test_phase_geometry.cpp.
#include "random_config.h"
#include "test_util.h"

#include <convt/backend.h>
#include <convt/ops.h>
#include <convt/reference.h>
#include <convt/shape.h>

#include "../engine/src/cuda/cuda_ops.h"

#include <random>

namespace convt {
namespace {

class CudaBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    const Availability cuda = backend_by_name("cuda").availability();
    if (!cuda.available) GTEST_SKIP() << "CUDA tests skipped: " << cuda.reason;
  }
};

}  // namespace
}  // namespace convt

namespace convt::cuda {
// Test names and ctest listings show the kernel by name.
const char* kernel_name(Kernel kernel) {
  return kernel == Kernel::Gather ? "gather" : kernel == Kernel::Gemm ? "gemm" : "gemm_tf32";
}
void PrintTo(Kernel kernel, std::ostream* out) { *out << kernel_name(kernel); }
}  // namespace convt::cuda

namespace convt {
namespace {

class CudaKernels : public CudaBackend, public ::testing::WithParamInterface<cuda::Kernel> {};

TEST_P(CudaKernels, ConvTranspose2dMatchesReference) {
  // TF32 rounds both factors to 10 mantissa bits (relative error up to 2^-11 each) before FP32 sums, so its
  // bound is about 2 * 2^-11 of the sum of |terms|; the exact kernels only differ from the double reference
  // by float32 rounding.
  const bool tf32 = GetParam() == cuda::Kernel::GemmTf32;
  if (tf32 && !backend_by_name("cuda-tf32").availability().available)
    GTEST_SKIP() << "TF32 test skipped: " << backend_by_name("cuda-tf32").availability().reason;
  const double tolerance = tf32 ? 1.5e-3 : 2e-6;
  std::mt19937_64 rng(31);
  for (int trial = 0; trial < 200; ++trial) {
    const testing::RandomCase c = testing::random_conv_transpose2d_case(rng, trial % 10 == 0 ? 23 : 9);
    const Tensor* bias = c.bias ? &*c.bias : nullptr;
    const Tensor expected = conv_transpose2d_reference(c.input, c.weight, bias, c.params);
    const Tensor actual = cuda::conv_transpose2d_cuda(c.input, c.weight, bias, c.params, GetParam(), /*poison_output=*/true);
    ASSERT_TRUE(testing::all_close_to_scale(actual, expected,
                                            testing::conv_transpose2d_term_scale(c.input, c.weight, bias, c.params), tolerance))
        << "trial " << trial << " input " << shape_to_string(c.input.shape()) << " weight "
        << shape_to_string(c.weight.shape());
  }
}

INSTANTIATE_TEST_SUITE_P(AllKernels, CudaKernels,
                         ::testing::Values(cuda::Kernel::Gather, cuda::Kernel::Gemm, cuda::Kernel::GemmTf32),
                         [](const ::testing::TestParamInfo<cuda::Kernel>& info) {
                           return std::string(cuda::kernel_name(info.param));
                         });

// Layers big enough for every tile shape the GEMM launcher picks (32/64/128 rows, 64/128 columns) and for
// several K steps and partial tiles at once.
TEST_F(CudaBackend, GemmMatchesReferenceOnLayersThatUseEveryTileShape) {
  const struct {
    Shape input, weight;
    ConvTranspose2dParams params;
  } layers[] = {
      {{2, 40, 33, 47}, {40, 150, 4, 4}, {IntPair(2), IntPair(1), IntPair(0), IntPair(1), 1}},
      {{3, 24, 20, 21}, {24, 48, 3, 5}, {IntPair(2, 3), IntPair(1, 2), IntPair(1, 0), IntPair(1, 2), 1}},
      {{1, 32, 9, 9}, {32, 20, 5, 5}, {IntPair(3), IntPair(2), IntPair(2), IntPair(1), 2}},
  };
  uint64_t seed = 100;
  for (const auto& layer : layers) {
    const Tensor input = Tensor::randn(layer.input, seed++), weight = Tensor::randn(layer.weight, seed++);
    const Tensor bias = Tensor::randn({layer.weight[1] * layer.params.groups}, seed++);
    const Tensor expected = conv_transpose2d_reference(input, weight, &bias, layer.params);
    const Tensor actual = cuda::conv_transpose2d_cuda(input, weight, &bias, layer.params, cuda::Kernel::Gemm, true);
    ASSERT_TRUE(testing::all_close_to_scale(actual, expected,
                                            testing::conv_transpose2d_term_scale(input, weight, &bias, layer.params), 2e-6))
        << shape_to_string(layer.weight);
  }
}

TEST_F(CudaBackend, Conv2dGatherMatchesReference) {
  std::mt19937_64 rng(37);
  for (int checked = 0; checked < 200; ++checked) {
    const testing::RandomConv2dCase c = testing::random_conv2d_case(rng);
    const Tensor expected = conv2d_reference(c.input, c.weight, &c.bias, c.params);
    const Tensor actual = cuda::conv2d_cuda(c.input, c.weight, &c.bias, c.params, /*poison_output=*/true);
    ASSERT_TRUE(testing::all_close_to_scale(actual, expected, c.scale, 2e-6)) << "case " << checked;
  }
}

// The grad_input passes the CUDA backend runs (each a convolution of grad_output), through the interface, against
// the reference backward; cases with output_padding >= stride must be declined and fall back to the CPU.
TEST_F(CudaBackend, GradInputPassesMatchReference) {
  const Backend& cuda = backend_by_name("cuda");
  std::mt19937_64 rng(41);
  for (int trial = 0; trial < 200; ++trial) {
    const testing::RandomCase c = testing::random_conv_transpose2d_case(rng);
    const Shape out = validate_conv_transpose2d(c.input.shape(), c.weight.shape(), std::nullopt, c.params).output_shape();
    const Tensor gy = Tensor::randn(out, rng());
    const OpRequest request{Op::ConvTranspose2dGradInput, c.params};
    const Dispatch chosen = dispatch("cuda", request);
    const bool crops = c.params.output_padding.h >= c.params.stride.h || c.params.output_padding.w >= c.params.stride.w;
    ASSERT_EQ(chosen.backend->name(), crops ? "cpu" : "cuda") << "trial " << trial;
    const Tensor actual = chosen.backend->conv_transpose2d_grad_input(c.input.shape(), c.weight, gy, c.params);
    const ConvGradients expected = conv_transpose2d_backward_reference(c.input, c.weight, false, gy, c.params);
    const ConvGradients scale = conv_transpose2d_backward_reference(testing::abs_of(c.input), testing::abs_of(c.weight),
                                                                    false, testing::abs_of(gy), c.params);
    ASSERT_TRUE(testing::all_close_to_scale(actual, expected.grad_input, scale.grad_input, 2e-6)) << "trial " << trial;
  }
  for (int trial = 0; trial < 200; ++trial) {
    const testing::RandomConv2dCase c = testing::random_conv2d_case(rng);
    const Tensor gy = Tensor::randn(validate_conv2d(c.input.shape(), c.weight.shape(), std::nullopt, c.params).output_shape(), rng());
    const Tensor actual = cuda.conv2d_grad_input(c.input.shape(), c.weight, gy, c.params);
    const ConvGradients expected = conv2d_backward_reference(c.input, c.weight, false, gy, c.params);
    const ConvGradients scale = conv2d_backward_reference(testing::abs_of(c.input), testing::abs_of(c.weight), false,
                                                          testing::abs_of(gy), c.params);
    ASSERT_TRUE(testing::all_close_to_scale(actual, expected.grad_input, scale.grad_input, 2e-6)) << "trial " << trial;
  }
}

}  // namespace
}  // namespace convt

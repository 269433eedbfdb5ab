// The CUDA backend against the reference on random configurations, outputs poisoned (NaN) on the device first.
// Machines without a usable GPU (CI) skip these tests and say why; the phase math the kernels use is covered on
// the CPU by test_phase_geometry.cpp.
#include "random_config.h"
#include "test_util.h"

#include <convt/backend.h>
#include <convt/ops.h>

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
void PrintTo(Kernel kernel, std::ostream* out) { *out << (kernel == Kernel::Gather ? "gather" : "gemm"); }
}  // namespace convt::cuda

namespace convt {
namespace {

class CudaKernels : public CudaBackend, public ::testing::WithParamInterface<cuda::Kernel> {};

TEST_P(CudaKernels, ConvTranspose2dMatchesReference) {
  std::mt19937_64 rng(31);
  for (int trial = 0; trial < 200; ++trial) {
    const testing::RandomCase c = testing::random_conv_transpose2d_case(rng, trial % 10 == 0 ? 23 : 9);
    const Tensor* bias = c.bias ? &*c.bias : nullptr;
    const Tensor expected = conv_transpose2d_reference(c.input, c.weight, bias, c.params);
    const Tensor actual = cuda::conv_transpose2d_cuda(c.input, c.weight, bias, c.params, GetParam(), /*poison_output=*/true);
    ASSERT_TRUE(testing::all_close_to_scale(actual, expected,
                                            testing::conv_transpose2d_term_scale(c.input, c.weight, bias, c.params), 2e-6))
        << "trial " << trial << " input " << shape_to_string(c.input.shape()) << " weight "
        << shape_to_string(c.weight.shape());
  }
}

INSTANTIATE_TEST_SUITE_P(GatherAndGemm, CudaKernels, ::testing::Values(cuda::Kernel::Gather, cuda::Kernel::Gemm),
                         [](const ::testing::TestParamInfo<cuda::Kernel>& info) {
                           return info.param == cuda::Kernel::Gather ? "gather" : "gemm";
                         });

TEST_F(CudaBackend, Conv2dGatherMatchesReference) {
  std::mt19937_64 rng(37);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  int checked = 0;
  while (checked < 200) {
    const Conv2dParams p = testing::random_conv2d_params(rng);
    const Shape x_shape{pick(1, 2), p.groups * pick(1, 3), pick(1, 11), pick(1, 11)};
    const Shape w_shape{p.groups * pick(1, 3), x_shape[1] / p.groups, pick(1, 4), pick(1, 4)};
    try {
      validate_conv2d(x_shape, w_shape, std::nullopt, p);
    } catch (const std::exception&) {
      continue;
    }
    const Tensor x = Tensor::randn(x_shape, rng()), w = Tensor::randn(w_shape, rng()), b = Tensor::randn({w_shape[0]}, rng());
    const Tensor expected = conv2d_reference(x, w, &b, p);
    const Tensor actual = cuda::conv2d_cuda(x, w, &b, p, /*poison_output=*/true);
    std::optional<Tensor> abs_b = testing::abs_of(b);
    const Tensor scale = conv2d(testing::abs_of(x), testing::abs_of(w), abs_b, p.stride, p.padding, p.dilation, p.groups);
    ASSERT_TRUE(testing::all_close_to_scale(actual, expected, scale, 2e-6)) << "case " << checked;
    ++checked;
  }
}

}  // namespace
}  // namespace convt

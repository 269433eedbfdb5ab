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
  for (int checked = 0; checked < 200; ++checked) {
    const testing::RandomConv2dCase c = testing::random_conv2d_case(rng);
    const Tensor expected = conv2d_reference(c.input, c.weight, &c.bias, c.params);
    const Tensor actual = cuda::conv2d_cuda(c.input, c.weight, &c.bias, c.params, /*poison_output=*/true);
    ASSERT_TRUE(testing::all_close_to_scale(actual, expected, c.scale, 2e-6)) << "case " << checked;
  }
}

}  // namespace
}  // namespace convt

// The gather kernels are grid-stride loops over output elements; the work per element lives in
// common/gather_element.h, which the CPU tests run on every element of random configurations.
#include "conv_gather.cuh"
#include "cuda_check.h"

#include "../common/gather_element.h"

namespace convt::cuda {
namespace {

enum class Op { Transposed, Forward };

template <Op op>
__global__ void gather_kernel(const float* __restrict__ input, const float* __restrict__ weight,
                              const float* __restrict__ bias, float* __restrict__ output, phase::GatherProblem a) {
  const int64_t total = a.output_count();
  for (int64_t index = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; index < total;
       index += static_cast<int64_t>(gridDim.x) * blockDim.x)
    output[index] = op == Op::Transposed ? phase::conv_transpose2d_element(a, input, weight, bias, index)
                                         : phase::conv2d_element(a, input, weight, bias, index);
}

constexpr int kThreads = 256;

template <Op op>
void launch(const float* input, const float* weight, const float* bias, float* output, const phase::GatherProblem& a) {
  const int64_t total = a.output_count();
  if (total == 0) return;
  // The grid-stride loop covers whatever a capped grid does not.
  const int64_t blocks = (total + kThreads - 1) / kThreads;
  gather_kernel<op><<<static_cast<unsigned>(blocks < (1 << 20) ? blocks : (1 << 20)), kThreads>>>(input, weight, bias,
                                                                                                    output, a);
  CONVT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void conv_transpose2d_gather(const float* input, const float* weight, const float* bias, float* output,
                             const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& p) {
  launch<Op::Transposed>(input, weight, bias, output, phase::make_gather_problem(g, p));
}

void conv2d_gather(const float* input, const float* weight, const float* bias, float* output, const Conv2dGeometry& g,
                   const Conv2dParams& p) {
  launch<Op::Forward>(input, weight, bias, output, phase::make_gather_problem(g, p));
}

}  // namespace convt::cuda

// Used when the build found no nvcc: the CUDA ops exist but say why they cannot run.
#include "cuda_ops.h"

#include <convt/error.h>

namespace convt::cuda {

Tensor conv_transpose2d_cuda(const Tensor&, const Tensor&, const Tensor*, const ConvTranspose2dParams&, Kernel, bool) {
  throw_invalid("this build has no CUDA support (nvcc was not found when it was configured)", "backend");
}

Tensor conv2d_cuda(const Tensor&, const Tensor&, const Tensor*, const Conv2dParams&, bool) {
  throw_invalid("this build has no CUDA support (nvcc was not found when it was configured)", "backend");
}

}  // namespace convt::cuda

// Used when the build found no nvcc: the CUDA backend then always reports why it cannot run.
#include "cuda_probe.h"

namespace convt::cuda {

const DeviceProbe& probe_device() {
  static const DeviceProbe none{false, "this build has no CUDA support (nvcc was not found when it was configured)"};
  return none;
}

}  // namespace convt::cuda

// Used when the build found no nvcc: the CUDA backend then always reports why it cannot run.
#include "cuda_probe.h"

namespace convt::cuda {

DeviceProbe probe_device() { return {false, "this build has no CUDA support (nvcc was not found when it was configured)"}; }

}  // namespace convt::cuda

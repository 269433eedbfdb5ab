// Asks the CUDA runtime for a device. A machine with nvcc but no GPU (CI) gets a clear reason, never a crash:
// every runtime call's error is turned into text.
#include "cuda_probe.h"

#include <cuda_runtime.h>

#include <string>

namespace convt::cuda {
namespace {

// CUDA 13 builds for sm_75 and newer.
constexpr int kMinimumComputeCapability = 75;

DeviceProbe ask_driver() {
  int driver_version = 0;
  if (cudaDriverGetVersion(&driver_version) != cudaSuccess || driver_version == 0)
    return {false, "no CUDA driver found on this machine"};
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    const std::string reason = cudaGetErrorString(status);
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return {false, "no usable CUDA device: " + reason};
  }
  if (count == 0) return {false, "no CUDA device found"};
  cudaDeviceProp properties{};
  if (cudaGetDeviceProperties(&properties, 0) != cudaSuccess)
    return {false, "cannot query CUDA device 0"};
  const int capability = properties.major * 10 + properties.minor;
  const std::string description =
      std::string(properties.name) + " (sm_" + std::to_string(capability) + ")";
  if (capability < kMinimumComputeCapability)
    return {false, "CUDA device " + description + " is older than sm_75, the oldest this build supports", capability};
  return {true, "CUDA device " + description, capability};
}

}  // namespace

const DeviceProbe& probe_device() {
  static const DeviceProbe device = ask_driver();
  return device;
}

}  // namespace convt::cuda

// Run-time CUDA detection, compiled with nvcc when the toolkit is present and as a stub otherwise, so the rest
// of the engine asks one question and never includes CUDA headers. Plain types only: nvcc compiles this
// header in C++17 mode.
#pragma once

#include <string>

namespace convt::cuda {

struct DeviceProbe {
  bool usable = false;
  std::string description;  // "CUDA device NVIDIA H100 (sm_90)" or why there is none
  int compute_capability = 0;  // 90 for sm_90; 0 when there is no device
};

// usable=true with a description of device 0 when a usable device answers; otherwise usable=false with the
// reason (built without CUDA, no driver, no device, compute capability too old).
// The driver is asked once per process (the answer does not change while it runs).
const DeviceProbe& probe_device();

}  // namespace convt::cuda

// Phase (sub-pixel) decomposition of a transposed convolution, one axis at a time. Shared by the CPU backend and
// the CUDA kernels, so it is header-only, allocation-free, and marked host/device under nvcc.
//
// Output position o belongs to phase r = (o + p) mod s. Writing o = s*q + r - p, the taps that reach o are the
// k with (k*d) mod s == r, and tap k reads input i = q + (r - k*d)/s (an exact division). So each phase is an
// ordinary stride-1 correlation over q with a sub-kernel of ceil-ish (k - r')/s taps and no inserted zeros.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#if defined(__CUDACC__)
#define CONVT_HOST_DEVICE __host__ __device__
#else
#define CONVT_HOST_DEVICE
#endif

namespace convt::phase {

// floor(a / b) for b > 0 and any sign of a.
CONVT_HOST_DEVICE inline int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// ceil(a / b) for b > 0 and any sign of a.
CONVT_HOST_DEVICE inline int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

struct AxisPhase {
  int64_t q_begin = 0;  // first q of the phase (o = s*q + r - p >= 0)
  int64_t count = 0;    // outputs in the phase (0 when the output is shorter than the stride)
  int64_t out_base = 0; // o = s*q + out_base for q in [q_begin, q_begin + count)
};

// The outputs of phase r on an axis of output size `output`.
CONVT_HOST_DEVICE inline AxisPhase axis_phase(int64_t r, int64_t output, int64_t stride, int64_t padding) {
  AxisPhase phase;
  phase.out_base = r - padding;
  phase.q_begin = ceil_div(padding - r, stride);
  const int64_t q_end = floor_div(output - 1 + padding - r, stride) + 1;
  phase.count = q_end > phase.q_begin ? q_end - phase.q_begin : 0;
  return phase;
}

// Whether kernel tap k lands on phase r, and the input offset it reads with (input i = q + offset).
CONVT_HOST_DEVICE inline bool tap_in_phase(int64_t k, int64_t r, int64_t stride, int64_t dilation) {
  return (k * dilation) % stride == r % stride;
}
CONVT_HOST_DEVICE inline int64_t tap_offset(int64_t k, int64_t r, int64_t stride, int64_t dilation) {
  return (r - k * dilation) / stride;  // exact when tap_in_phase
}

// The taps of phase r as an arithmetic progression, so a kernel can index them without a table. With
// g = gcd(s, d), k*d = r (mod s) has solutions only when g divides r, and then they are k0, k0 + s/g, ...;
// each step moves the input offset (r - k*d)/s by -d/g.
struct AxisTaps {
  int64_t count = 0;         // taps in the phase (0: the phase only gets the bias)
  int64_t first_kernel = 0;  // kernel index of tap 0
  int64_t kernel_step = 1;   // s / g
  int64_t first_offset = 0;  // input offset of tap 0: input i = q + first_offset + t * offset_step
  int64_t offset_step = 0;   // -d / g
};

CONVT_HOST_DEVICE inline AxisTaps axis_taps(int64_t r, int64_t kernel, int64_t stride, int64_t dilation) {
  AxisTaps taps;
  int64_t a = stride, b = dilation;  // gcd by Euclid
  while (b != 0) {
    const int64_t t = a % b;
    a = b;
    b = t;
  }
  const int64_t g = a;
  taps.kernel_step = stride / g;
  taps.offset_step = -(dilation / g);
  for (int64_t k = 0; k < taps.kernel_step && k < kernel; ++k)
    if (tap_in_phase(k, r, stride, dilation)) {
      taps.first_kernel = k;
      taps.first_offset = tap_offset(k, r, stride, dilation);
      taps.count = (kernel - k + taps.kernel_step - 1) / taps.kernel_step;
      break;
    }
  return taps;
}

// The number of taps of a k-tap kernel that land on phase r.
CONVT_HOST_DEVICE inline int64_t taps_in_phase(int64_t r, int64_t kernel, int64_t stride, int64_t dilation) {
  return axis_taps(r, kernel, stride, dilation).count;
}

// Host side: the phases of one axis that have taps, ascending. Every tap lands on exactly one phase, so there are
// at most min(kernel, stride) of them, whatever the stride: callers loop over these, never over all s phases (a
// stride of 10^6 would otherwise cost 10^12 iterations). The other phases' outputs receive the bias alone.
inline std::vector<int64_t> phases_with_taps(int64_t kernel, int64_t stride, int64_t dilation) {
  std::vector<int64_t> phases;
  for (int64_t k = 0; k < kernel; ++k) {
    const int64_t r = (k * dilation) % stride;
    bool known = false;
    for (int64_t phase : phases) known = known || phase == r;
    if (!known) phases.push_back(r);
  }
  for (std::size_t i = 1; i < phases.size(); ++i)  // insertion sort: at most `kernel` entries
    for (std::size_t j = i; j > 0 && phases[j - 1] > phases[j]; --j) std::swap(phases[j - 1], phases[j]);
  return phases;
}

}  // namespace convt::phase

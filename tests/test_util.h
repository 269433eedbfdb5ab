// Shared test helpers: float32 comparisons whose tolerance scales with the magnitude of the sum being compared.
#pragma once

#include <convt/ops.h>
#include <convt/shape.h>
#include <convt/tensor.h>

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace convt::testing {

// The definition of a transposed conv's geometry, by brute force: every (input pixel, kernel tap) and the output
// pixel it lands on, o = i*s - p + k*d, when that is inside the output. Calls visit(iy, ix, ky, kx, oy, ox).
template <typename Visit>
void for_each_landing(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& p, Visit visit) {
  for (int64_t iy = 0; iy < g.in_h; ++iy)
    for (int64_t ix = 0; ix < g.in_w; ++ix)
      for (int64_t ky = 0; ky < g.kernel_h; ++ky)
        for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
          const int64_t oy = iy * p.stride.h - p.padding.h + ky * p.dilation.h;
          const int64_t ox = ix * p.stride.w - p.padding.w + kx * p.dilation.w;
          if (oy >= 0 && oy < g.out_h && ox >= 0 && ox < g.out_w) visit(iy, ix, ky, kx, oy, ox);
        }
}

// <a, b>, summed in double: what the adjoint identities compare.
inline double dot(const Tensor& a, const Tensor& b) {
  double sum = 0;
  for (int64_t i = 0; i < a.numel(); ++i) sum += static_cast<double>(a[i]) * b[i];
  return sum;
}

// Element-wise absolute value.
inline Tensor abs_of(const Tensor& t) {
  Tensor out = t;
  for (int64_t i = 0; i < out.numel(); ++i) out[i] = std::fabs(out[i]);
  return out;
}

// Checks |actual - expected| <= rel * scale + abs_floor element-wise, where scale[i] is the sum of the absolute
// values of the terms that make up element i (so the bound is float32 rounding of that sum, whatever the signs).
inline ::testing::AssertionResult all_close_to_scale(const Tensor& actual, const Tensor& expected, const Tensor& scale,
                                                     double rel, double abs_floor = 1e-7) {
  if (actual.shape() != expected.shape())
    return ::testing::AssertionFailure() << "shape " << shape_to_string(actual.shape()) << " != expected "
                                         << shape_to_string(expected.shape());
  for (int64_t i = 0; i < actual.numel(); ++i) {
    const double diff = std::fabs(static_cast<double>(actual[i]) - expected[i]);
    const double bound = rel * scale[i] + abs_floor;
    if (!(diff <= bound))  // also catches NaN
      return ::testing::AssertionFailure() << "element " << i << ": got " << actual[i] << ", expected " << expected[i]
                                           << " (|diff| " << diff << " > bound " << bound << ")";
  }
  return ::testing::AssertionSuccess();
}

// The sum of absolute terms of conv_transpose2d at every output element: the same op on |x|, |w|, |b|.
inline Tensor conv_transpose2d_term_scale(const Tensor& x, const Tensor& w, const Tensor* b,
                                          const ConvTranspose2dParams& params) {
  const Tensor abs_x = abs_of(x), abs_w = abs_of(w);
  if (!b) return conv_transpose2d_reference(abs_x, abs_w, nullptr, params);
  const Tensor abs_b = abs_of(*b);
  return conv_transpose2d_reference(abs_x, abs_w, &abs_b, params);
}

// The same for conv2d.
inline Tensor conv2d_term_scale(const Tensor& x, const Tensor& w, const Tensor* b, const Conv2dParams& params) {
  const Tensor abs_x = abs_of(x), abs_w = abs_of(w);
  if (!b) return conv2d_reference(abs_x, abs_w, nullptr, params);
  const Tensor abs_b = abs_of(*b);
  return conv2d_reference(abs_x, abs_w, &abs_b, params);
}

}  // namespace convt::testing

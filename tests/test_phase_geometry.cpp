// The phase decomposition every fast path uses (CPU now, CUDA kernels too), against brute force: each output
// position lands in exactly one phase, and a phase's taps read exactly the inputs the definition says.
#include "../engine/src/common/phase_geometry.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>

namespace convt {
namespace {

TEST(PhaseGeometry, FloorAndCeilDivisionForBothSigns) {
  for (int64_t a = -20; a <= 20; ++a)
    for (int64_t b = 1; b <= 6; ++b) {
      int64_t floor_value = a / b;
      if (floor_value * b > a) --floor_value;
      EXPECT_EQ(phase::floor_div(a, b), floor_value) << a << "/" << b;
      EXPECT_EQ(phase::ceil_div(a, b), -phase::floor_div(-a, b));
    }
}

TEST(PhaseGeometry, PhasesPartitionTheOutputAndTapsMatchTheDefinition) {
  for (int64_t s = 1; s <= 5; ++s)
    for (int64_t d = 1; d <= 4; ++d)
      for (int64_t k = 1; k <= 6; ++k)
        for (int64_t p = 0; p <= 5; ++p)
          for (int64_t i = 1; i <= 6; ++i) {
            const int64_t o = (i - 1) * s - 2 * p + d * (k - 1) + 1;
            if (o < 1) continue;
            // Brute force: every (input, tap) pair that lands on each output.
            std::vector<std::set<std::pair<int64_t, int64_t>>> expected(static_cast<size_t>(o));
            for (int64_t in = 0; in < i; ++in)
              for (int64_t tap = 0; tap < k; ++tap) {
                const int64_t out = in * s - p + tap * d;
                if (out >= 0 && out < o) expected[static_cast<size_t>(out)].insert({in, tap});
              }
            std::vector<int> seen(static_cast<size_t>(o), 0);
            for (int64_t r = 0; r < s; ++r) {
              const phase::AxisPhase ph = phase::axis_phase(r, o, s, p);
              EXPECT_EQ(phase::taps_in_phase(r, k, s, d), [&] {
                int64_t n = 0;
                for (int64_t tap = 0; tap < k; ++tap) n += (tap * d) % s == r;
                return n;
              }());
              for (int64_t q = ph.q_begin; q < ph.q_begin + ph.count; ++q) {
                const int64_t out = s * q + ph.out_base;
                ASSERT_GE(out, 0);
                ASSERT_LT(out, o);
                ++seen[static_cast<size_t>(out)];
                std::set<std::pair<int64_t, int64_t>> got;
                for (int64_t tap = 0; tap < k; ++tap) {
                  if (!phase::tap_in_phase(tap, r, s, d)) continue;
                  const int64_t in = q + phase::tap_offset(tap, r, s, d);
                  if (in >= 0 && in < i) got.insert({in, tap});
                }
                ASSERT_EQ(got, expected[static_cast<size_t>(out)]) << "s" << s << " d" << d << " k" << k << " p" << p
                                                                  << " i" << i << " o" << out;
              }
            }
            for (int count : seen) ASSERT_EQ(count, 1) << "each output in exactly one phase";
          }
}

TEST(PhaseGeometry, TapProgressionEnumeratesExactlyTheTapsOfEachPhase) {
  for (int64_t s = 1; s <= 7; ++s)
    for (int64_t d = 1; d <= 7; ++d)
      for (int64_t k = 1; k <= 9; ++k)
        for (int64_t r = 0; r < s; ++r) {
          std::vector<std::pair<int64_t, int64_t>> expected;  // (kernel index, input offset), by kernel index
          for (int64_t tap = 0; tap < k; ++tap)
            if (phase::tap_in_phase(tap, r, s, d)) expected.push_back({tap, phase::tap_offset(tap, r, s, d)});
          const phase::AxisTaps taps = phase::axis_taps(r, k, s, d);
          std::vector<std::pair<int64_t, int64_t>> got;
          for (int64_t t = 0; t < taps.count; ++t)
            got.push_back({taps.first_kernel + t * taps.kernel_step, taps.first_offset + t * taps.offset_step});
          ASSERT_EQ(got, expected) << "s" << s << " d" << d << " k" << k << " r" << r;
        }
}

}  // namespace
}  // namespace convt

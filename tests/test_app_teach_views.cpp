// The products the teaching views add to analyses.h: the coverage map of any report (Compare A/B draws B's with it)
// and the rows the matrix view cuts (view.matrix_row and view.matrix_kernel_row, -1 for the middle one).
#include "app_test_util.h"
#include "model/compare_keys.h"
#include "model/presets.h"

#include <gtest/gtest.h>

namespace convt::lab {
namespace {

using app_testing::made;
using app_testing::with;

// B's coverage map holds rows[y] * cols[x] of B's own report, over B's output size, with the range [0, most].
TEST(TeachViews, BsCoverageMapIsDrawnFromItsOwnReport) {
  LabState state;
  apply_preset("checkerboard", state);
  enable_compare(state);
  state = with(state, {"compare.kernel=4", "compare.padding=1", "compare.stride=3"});
  LabModel model(state);
  ASSERT_TRUE(model.wait_until_idle(60));
  ASSERT_NE(model.result(), nullptr);
  const ComputeResult& r = *model.result();
  auto compared = made(model, [&] { return model.analyses().compare(r, state.compare.layer); });
  ASSERT_TRUE(compared.value) << compared.error;
  const std::shared_ptr<const CoverageReport> report(compared.value, &compared.value->coverage);
  const CoverageReport& c = *report;
  ASSERT_EQ(c.out_h, compared.value->output->size(2));
  ASSERT_EQ(c.out_w, compared.value->output->size(3));
  ASSERT_NE(c.out_h, r.output().size(2)) << "B's stride 3 makes another size than A's";
  const PlaneView map = model.analyses().coverage_map(report, {0, 0, c.out_h, c.out_w}, 400, 400);
  ASSERT_TRUE(map.ready()) << map.error;
  EXPECT_EQ(map.height, c.out_h);
  EXPECT_EQ(map.width, c.out_w);
  ASSERT_EQ(map.overview.value->factor, 1);
  const Tensor& values = map.overview.value->values;
  int64_t most = 0;
  for (int64_t y = 0; y < c.out_h; ++y)
    for (int64_t x = 0; x < c.out_w; ++x) {
      const int64_t count = c.row_counts[static_cast<size_t>(y)] * c.col_counts[static_cast<size_t>(x)];
      most = std::max(most, count);
      ASSERT_EQ(values[y * c.out_w + x], static_cast<float>(count)) << y << ", " << x;
    }
  EXPECT_EQ(map.ranges[0].low, 0.0f);
  EXPECT_EQ(map.ranges[0].high, static_cast<float>(most));
  // The selected layer's own map is the same product for its report.
  const PlaneView a = model.analyses().coverage_map(r, {0, 0, 8, 8}, 100, 100);
  ASSERT_TRUE(a.ready());
  EXPECT_EQ(a.height, r.coverage().out_h);
}

// -1 picks the middle row of the input and of the kernel; other values are taken as they are, and the matrix is cut
// from the rows named.
TEST(TeachViews, TheMatrixRowsAreTheMiddleOnesUnlessChosen) {
  LabModel model(with(LabState(), {"input.kind=random", "input.height=7", "input.width=5", "layer.kernel=4,3"}));
  ASSERT_TRUE(model.wait_until_idle(60));
  ASSERT_NE(model.result(), nullptr);
  const ComputeResult& r = *model.result();
  EXPECT_EQ(matrix_input_row(r, -1), 3);
  EXPECT_EQ(matrix_kernel_row(r, -1), 2);
  EXPECT_EQ(matrix_input_row(r, 6), 6);
  EXPECT_EQ(matrix_kernel_row(r, 0), 0);
  auto middle = made(model, [&] { return model.analyses().matrix(r, -1, -1); });
  auto chosen = made(model, [&] { return model.analyses().matrix(r, 3, 2); });
  ASSERT_TRUE(middle.value && chosen.value);
  EXPECT_EQ(middle.value->input, chosen.value->input);
  EXPECT_EQ(middle.value->kernel, chosen.value->kernel);
  const Tensor& x = *r.layer.input;
  for (int64_t i = 0; i < middle.value->inputs; ++i) EXPECT_EQ(middle.value->input[static_cast<size_t>(i)], x.at(0, 0, 3, i));
}

}  // namespace
}  // namespace convt::lab

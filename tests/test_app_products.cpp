// The app model keeps the frame light: a large input is built on the worker, files are read there, analyses are
// made only when asked for, and a view of a big plane gets a preview no larger than its box, refined for the
// zoomed region, with its colour range taken from the full-resolution data.
#include "app_test_util.h"
#include "cli_sandbox.h"

#include "model/lab_model.h"
#include "model/state_keys.h"

#include <convt/image.h>
#include <convt/io.h>

#include <gtest/gtest.h>

namespace convt::lab {
namespace {

using app_testing::made;
using app_testing::with;

TEST(AppProducts, ABigInputIsBuiltAndRunOnTheWorkerAndItsViewsFitTheirBoxes) {
  LabModel model(with(LabState(), {"input.kind=random", "input.channels=1", "input.height=2048", "input.width=2048",
                                   "out_channels=1", "kernel=3", "stride=2", "padding=0", "backend=cpu"}));
  model.update();
  EXPECT_TRUE(model.computing()) << "a 2048x2048 input is not built inside the frame";
  EXPECT_EQ(model.result(), nullptr);
  ASSERT_TRUE(model.wait_until_idle(120));
  const ComputeResult* r = model.result();
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->output().shape(), (Shape{1, 1, 4097, 4097}));
  EXPECT_FALSE(model.busy()) << "no analysis is made before a panel asks for it";

  // The whole plane in a 300x400 box: one level, at most the box's size, made on the worker.
  const PlaneSpec spec{r->output_ptr(), 0, 0, false, Colormap::Viridis};
  const PlaneView first = model.analyses().plane(spec, {0, 0, 4097, 4097}, 300, 400);
  EXPECT_FALSE(first.ready()) << "a 16-megapixel plane is not scanned inside the frame";
  PlaneView view;
  made(model, [&] {
    view = model.analyses().plane(spec, {0, 0, 4097, 4097}, 300, 400);
    return view.overview;
  });
  ASSERT_TRUE(view.overview.value);
  const Tensor& overview = view.overview.value->values;
  EXPECT_LE(overview.size(1), 300);
  EXPECT_LE(overview.size(2), 400);
  EXPECT_FALSE(view.detail.value) << "nothing finer is needed for the whole plane";
  made(model, [&] {
    view = model.analyses().plane(spec, {0, 0, 4097, 4097}, 300, 400);
    return ProductCache::Typed<int>{view.has_range ? std::make_shared<const int>(1) : nullptr, view.error, 0};
  });
  const Tensor& y = r->output();
  const ValueRange full = display_range(y.data(), y.numel(), Colormap::Viridis);
  EXPECT_EQ(view.ranges[0].low, full.low) << "the range comes from every pixel, not from the preview";
  EXPECT_EQ(view.ranges[0].high, full.high);

  // Zoomed in on 100x120 pixels: a level at full resolution covering them.
  const PlaneRegion zoomed{1000, 2000, 1100, 2120};
  made(model, [&] {
    view = model.analyses().plane(spec, zoomed, 300, 400);
    return view.detail;
  });
  ASSERT_TRUE(view.detail.value) << view.detail.error;
  const PlanePreview& detail = *view.detail.value;
  EXPECT_EQ(detail.factor, 1);
  EXPECT_LE(detail.region.y0, zoomed.y0);
  EXPECT_GE(detail.region.y1, zoomed.y1);
  EXPECT_LE(detail.region.x0, zoomed.x0);
  EXPECT_GE(detail.region.x1, zoomed.x1);
  EXPECT_LE(detail.values.size(1), 300 + 2 * 128);
  const int64_t w = detail.values.size(2);
  for (int64_t yy = zoomed.y0; yy < zoomed.y1; yy += 7)
    for (int64_t xx = zoomed.x0; xx < zoomed.x1; xx += 5)
      ASSERT_EQ(detail.values[(yy - detail.region.y0) * w + (xx - detail.region.x0)], y.at(0, 0, yy, xx));
}

TEST(AppProducts, AWeightFileIsReadOnTheWorker) {
  cli_testing::CliSandbox box;
  write_npy(box.file("w.npy"), Tensor::randn({1, 2, 3, 3}, 4));
  LabModel model(with(LabState(), {"input.kind=pattern", "input.pattern_channels=1", "stride=2", "padding=0",
                                   "layer.weight=" + box.file("w.npy")}));
  model.update();
  EXPECT_TRUE(model.computing()) << "no file is read inside the frame";
  ASSERT_TRUE(model.wait_until_idle(60));
  ASSERT_NE(model.result(), nullptr) << (model.error() ? model.error()->message : "");
  EXPECT_EQ(model.weight_shape(), (Shape{1, 2, 3, 3})) << "the shape is known once the worker read the file";
  // Unchanged, the file is not read again: a stride change is checked and runs inside the frame.
  model.state().layer().params.stride = 3;
  model.update();
  EXPECT_FALSE(model.computing());
  EXPECT_EQ(model.result()->output().size(2), (24 - 1) * 3 + 3);
}

TEST(AppProducts, EveryAnalysisOfASmallLayerIsMadeAtOnce) {
  LabModel model(with(LabState(), {"input.kind=pattern", "kernel=3", "stride=2", "weight=constant"}));
  model.update();
  const ComputeResult* r = model.result();
  ASSERT_NE(r, nullptr);
  Analyses& a = model.analyses();
  const auto steps = a.slice_steps(*r);
  ASSERT_TRUE(steps.value);
  EXPECT_TRUE(steps.value->equal);
  ASSERT_TRUE(a.artifact_score(*r).value);
  EXPECT_EQ(a.artifact_score(*r).value->level, "strong");
  ASSERT_TRUE(a.comparison(*r, ComparisonResize::Nearest).value);
  const auto partial = a.replay_partial(steps.value, 3);
  ASSERT_TRUE(partial.value);
  const PlaneView coverage = a.coverage_map(*r, {0, 0, 47, 47}, 200, 200);
  ASSERT_TRUE(coverage.ready());
  const CoverageReport& c = r->coverage();
  const Tensor& map = coverage.overview.value->values;
  for (int64_t y = 0; y < c.out_h; ++y)
    for (int64_t x = 0; x < c.out_w; ++x)
      ASSERT_EQ(map[y * c.out_w + x], static_cast<float>(c.row_counts[y] * c.col_counts[x]));
  EXPECT_FALSE(model.busy());
}

TEST(AppProducts, APlaneOutsideItsTensorIsAnErrorNotARead) {
  LabModel model(with(LabState(), {"input.kind=random", "input.channels=3", "out_channels=3", "stride=2"}));
  model.update();
  ASSERT_NE(model.result(), nullptr);
  const std::shared_ptr<const Tensor> input = model.result()->layer.input;
  // An RGB composite needs channels c..c+2: from channel 1 of 3 it would read past the tensor.
  const PlaneView composite = model.analyses().plane({input, 0, 1, true, Colormap::Viridis}, {0, 0, 12, 12}, 100, 100);
  EXPECT_FALSE(composite.ready());
  EXPECT_NE(composite.error.find("no plane"), std::string::npos) << composite.error;
  const PlaneView batch = model.analyses().plane({input, 1, 0, false, Colormap::Viridis}, {0, 0, 12, 12}, 100, 100);
  EXPECT_FALSE(batch.error.empty());
  EXPECT_TRUE(model.analyses().plane({input, 0, 0, true, Colormap::Viridis}, {0, 0, 12, 12}, 100, 100).ready());
}

}  // namespace
}  // namespace convt::lab

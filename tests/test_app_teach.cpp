// The teaching state without GL: the lessons' set-ups, the pin, Compare A/B's keys and product, the matrix and round
// trip products, presets' "modified" and the reference examples' corrections.
#include "app_test_util.h"
#include "model/compare_keys.h"
#include "model/lessons.h"
#include "model/presets.h"
#include "model/workspace_state.h"

#include <gtest/gtest.h>

#include <cmath>

namespace convt::lab {
namespace {

using app_testing::made;
using app_testing::refusal;
using app_testing::with;

// Every lesson sets up a state the model computes without an error, and each view it opens is made.
TEST(Lessons, EverySetUpIsValidAndItsViewsAreMade) {
  ASSERT_EQ(static_cast<int64_t>(lessons().size()), kLessonCount);
  for (int64_t number = 0; number <= kLessonCount; ++number) {
    SCOPED_TRACE("lesson " + std::to_string(number));
    LabState state;
    apply_lesson(number, state);
    EXPECT_TRUE(state.view.lessons);
    EXPECT_EQ(state.view.lesson, number);
    if (number > 0) {
      const Lesson& lesson = lessons()[static_cast<size_t>(number - 1)];
      EXPECT_EQ(lesson.number, number);
      EXPECT_GE(lesson.paragraphs.size(), 2u);
      EXPECT_LE(lesson.paragraphs.size(), 5u);
      EXPECT_FALSE(lesson.try_this.empty());
      EXPECT_FALSE(preset_modified(lesson.preset, state)) << "a lesson's settings leave its preset's caption true";
    }
    LabModel model(state);
    ASSERT_TRUE(model.wait_until_idle(120));
    ASSERT_FALSE(model.error()) << model.error()->message;
    ASSERT_NE(model.result(), nullptr);
    const ComputeResult& r = *model.result();
    if (state.view.pin.target == PinTarget::Output) {
      auto terms = made(model, [&] { return model.analyses().pixel_terms(r, state.view.pin.y, state.view.pin.x); });
      ASSERT_TRUE(terms.value) << terms.error;
      EXPECT_FALSE(terms.value->terms.empty());
    }
    if (state.compare.enabled) {
      auto b = made(model, [&] { return model.analyses().compare(r, state.compare.layer); });
      ASSERT_TRUE(b.value) << b.error;
    }
    if (state.view.round_trip) {
      auto trip = made(model, [&] { return model.analyses().round_trip(r); });
      ASSERT_TRUE(trip.value) << trip.error;
    }
  }
  LabState state;
  EXPECT_THROW(apply_lesson(7, state), Error);
}

// The inspector's product: the terms sum to the value the output shows, on the app's own result.
TEST(PixelPin, TheInspectorsTermsSumToTheShownValue) {
  LabModel model(with(LabState(), {"input.kind=random", "input.channels=4", "input.height=5", "input.width=6",
                           "layer.out_channels=6", "layer.groups=2", "layer.kernel=3,2", "layer.stride=2,3",
                           "layer.dilation=2,1", "layer.output_padding=1,2", "layer.padding=1", "layer.bias=true",
                           "view.out_channel=4"}));
  ASSERT_TRUE(model.wait_until_idle(60));
  ASSERT_NE(model.result(), nullptr);
  const ComputeResult& r = *model.result();
  const Tensor& y = r.output();
  for (int64_t oy = 0; oy < y.size(2); ++oy)
    for (int64_t ox = 0; ox < y.size(3); ++ox) {
      auto terms = made(model, [&] { return model.analyses().pixel_terms(r, oy, ox); });
      ASSERT_TRUE(terms.value) << terms.error;
      EXPECT_NEAR(terms.value->sum, y.at(0, 4, oy, ox), 1e-5 * terms.value->magnitude + 1e-30);
      for (const PixelTerm& t : terms.value->terms) EXPECT_GE(t.in_channel, 2);  // group 2 of 2
    }
  auto outside = made(model, [&] { return model.analyses().pixel_terms(r, y.size(2), 0); });
  EXPECT_NE(outside.error.find("is outside the"), std::string::npos) << outside.error;
}

TEST(PixelPin, KeysTakeARowAndAColumnOrNone) {
  LabState state = with(LabState(), {"view.pin=3,4"});
  EXPECT_EQ(state.view.pin, (PixelPin{PinTarget::Output, 3, 4}));
  state = with(state, {"view.pin_input=none"});  // the other key's "none" leaves this pin alone
  EXPECT_EQ(state.view.pin.target, PinTarget::Output);
  state = with(state, {"view.pin_input=1,2"});
  EXPECT_EQ(state.view.pin, (PixelPin{PinTarget::Input, 1, 2}));
  state = with(state, {"view.pin_input=none"});
  EXPECT_EQ(state.view.pin.target, PinTarget::None);
  EXPECT_NE(refusal("view.pin=3").find("view.pin=3: expected a row and a column"), std::string::npos) << refusal("view.pin=3");
  EXPECT_NE(refusal("view.pin=-1,2").find("expected a row and a column"), std::string::npos);
  EXPECT_NE(refusal("view.pin=1,2x").find("expected a row and a column"), std::string::npos);
}

TEST(CompareAB, AnyCompareKeyStartsBFromTheShownLayer) {
  LabState state;
  apply_preset("checkerboard", state);
  state = with(state, {"compare.kernel=4"});
  EXPECT_TRUE(state.compare.enabled);
  EXPECT_EQ(state.compare.layer.kernel, (IntPair{4, 4}));
  EXPECT_EQ(state.compare.layer.params.stride, state.layer().params.stride);
  EXPECT_EQ(state.compare.layer.weight, state.layer().weight);  // the constant kernel, like A's
  state = with(state, {"compare.padding=1", "compare.enabled=false"});
  EXPECT_FALSE(state.compare.enabled);
  EXPECT_EQ(state.compare.layer.params.padding, (IntPair{1, 1}));
  state = with(state, {"layer.stride=3", "compare.enabled=true"});  // turned on again: a fresh copy of A
  EXPECT_EQ(state.compare.layer.params.stride, (IntPair{3, 3}));
  EXPECT_EQ(state.compare.layer.kernel, (IntPair{3, 3}));
  EXPECT_NE(refusal("compare.kernel=0").find("compare.kernel"), std::string::npos);
}

TEST(CompareAB, AWorkspaceKeepsB) {
  const LabState empty;
  LabState state = with(empty, {"compare.kernel=5", "compare.stride=3"});
  LabState back;
  apply_workspace(to_workspace(state), "test", back);
  EXPECT_EQ(back.compare, state.compare);
  // A workspace without B turns B off.
  const LabState fresh;
  apply_workspace(to_workspace(fresh), "test", state);
  EXPECT_FALSE(state.compare.enabled);
}

TEST(CompareAB, BRunsOnTheSameInputAndTheDifferenceIsBMinusA) {
  LabState state;
  apply_preset("checkerboard", state);
  state = with(state, {"compare.kernel=4", "compare.padding=1", "compare.output_padding=1"});
  LabModel model(state);
  ASSERT_TRUE(model.wait_until_idle(60));
  const ComputeResult& r = *model.result();
  auto b = made(model, [&] { return model.analyses().compare(r, model.state().compare.layer); });
  ASSERT_TRUE(b.value) << b.error;
  EXPECT_TRUE(b.value->same_size);  // k4 p1 op1 keeps 49x49
  EXPECT_EQ(b.value->coverage.verdict, OverlapVerdict::Even);
  EXPECT_EQ(r.coverage().verdict, OverlapVerdict::Uneven);
  const Tensor& difference = *b.value->difference;
  for (int64_t y = 0; y < difference.size(0); y += 7)
    for (int64_t x = 0; x < difference.size(1); x += 5)
      EXPECT_FLOAT_EQ(difference[y * difference.size(1) + x], b.value->output->at(0, 0, y, x) - r.output().at(0, 0, y, x));
  // An impossible B is refused by name, and A stays as it is.
  auto bad = made(model, [&] { return model.analyses().compare(r, with(state, {"compare.padding=30"}).compare.layer); });
  EXPECT_NE(bad.error.find("B:"), std::string::npos) << bad.error;
}

TEST(MatrixView, TheProductIsTheOneDimensionalLayersOutput) {
  LabModel model(with(LabState(), {"input.kind=random", "input.channels=2", "input.height=5", "input.width=20",
                           "layer.out_channels=3", "layer.kernel=3,4", "layer.stride=1,3", "layer.padding=0,1",
                           "view.in_channel=1", "view.out_channel=2"}));
  ASSERT_TRUE(model.wait_until_idle(60));
  const ComputeResult& r = *model.result();
  auto m = made(model, [&] { return model.analyses().matrix(r, -1, 0); });
  ASSERT_TRUE(m.value) << m.error;
  EXPECT_EQ(m.value->inputs, kMaxMatrixInputs);
  for (int64_t i = 0; i < m.value->inputs; ++i) EXPECT_EQ(m.value->input[size_t(i)], r.layer.input->at(0, 1, 2, i));
  for (int64_t o = 0; o < m.value->outputs; ++o) {
    double sum = 0;
    for (int64_t i = 0; i < m.value->inputs; ++i) sum += double(m.value->at(i, o)) * m.value->input[size_t(i)];
    EXPECT_DOUBLE_EQ(sum, m.value->output[size_t(o)]);
  }
}

TEST(PresetCaptions, APresetIsModifiedOnceAParameterChangesAndTheCorrectionGivesThePagesShape) {
  LabState state;
  apply_preset("unet", state);
  EXPECT_FALSE(preset_modified("unet", state));
  state = with(state, {"view.colormap=grey"});
  EXPECT_FALSE(preset_modified("unet", state)) << "a view setting is not the preset's";
  ASSERT_NE(preset_correction("unet"), nullptr);
  EXPECT_EQ(preset_correction("gan-k5s2"), nullptr);  // the page is right about that one
  apply_preset_correction("unet", state);
  EXPECT_TRUE(preset_modified("unet", state));
  LabModel model(state);
  ASSERT_TRUE(model.wait_until_idle(120));
  ASSERT_TRUE(model.geometry());
  EXPECT_EQ(model.geometry()->out_h, 16);
  EXPECT_EQ(model.geometry()->out_w, 16);
}

}  // namespace
}  // namespace convt::lab

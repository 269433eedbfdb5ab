// The output-size formula and every validation rule of MATH.md, with the wording of each message.
#include <convt/error.h>
#include <convt/shape.h>

#include <gtest/gtest.h>

#include <string>

namespace convt {
namespace {

// Runs validation and returns the error message ("" when valid).
std::string validation_error(const Shape& input, const Shape& weight, const std::optional<Shape>& bias,
                             const ConvTranspose2dParams& params) {
  try {
    validate_conv_transpose2d(input, weight, bias, params);
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "messages are one line";
    return e.what();
  }
}

ConvTranspose2dParams make(IntPair stride, IntPair padding = 0, IntPair output_padding = 0, IntPair dilation = 1,
                           int64_t groups = 1) {
  return ConvTranspose2dParams{stride, padding, output_padding, dilation, groups};
}

#define EXPECT_ERROR_CONTAINS(message, text) EXPECT_NE((message).find(text), std::string::npos) << (message)

TEST(OutputSize, FormulaKeepsEveryTermForDisplay) {
  const TransposedAxisSize axis = transposed_axis_size(4, 5, 2, 2, 1, 1);
  EXPECT_EQ(axis.output, 8);
  EXPECT_EQ(axis.formula(), "(4-1)*2 - 2*2 + 1*(5-1) + 1 + 1 = 8");
  EXPECT_EQ(transposed_axis_size(8, 4, 2, 1, 1, 1).output, 17);  // the U-Net example the page gets wrong
  EXPECT_EQ(transposed_axis_size(16, 3, 2, 1, 0, 1).output, 31);
  EXPECT_EQ(transposed_axis_size(1, 4, 2, 1, 0, 1).output, 2);
  EXPECT_EQ(transposed_axis_size(3, 3, 2, 0, 0, 3).output, 11);
}

TEST(OutputSize, GeometryResolvesShapesAndWork) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d({32, 128, 4, 4}, {128, 256, 5, 5}, Shape{256},
                                                              make(2, 2, 1));
  EXPECT_EQ(g.output_shape(), (Shape{32, 256, 8, 8}));
  EXPECT_DOUBLE_EQ(g.useful_flops(), 2.0 * 32 * 128 * 4 * 4 * 256 * 5 * 5);
  const ConvTranspose2dGeometry fractional = validate_conv_transpose2d({1, 64, 16, 16}, {64, 128, 3, 3}, std::nullopt,
                                                                       make(2, 1, IntPair(1, 0)));
  EXPECT_EQ(fractional.output_shape(), (Shape{1, 128, 32, 31}));
  const ConvTranspose2dGeometry unbatched = validate_conv_transpose2d({4, 3, 3}, {4, 3, 2, 2}, std::nullopt,
                                                                      make(IntPair(2, 3), 0, 0, 1, 2));
  EXPECT_FALSE(unbatched.batched);
  EXPECT_EQ(unbatched.output_shape(), (Shape{6, 6, 8}));
  EXPECT_EQ(validate_conv_transpose2d({0, 2, 3, 3}, {2, 1, 3, 3}, std::nullopt, make(1)).output_shape(),
            (Shape{0, 1, 5, 5}));
}

TEST(Validation, StrideDilationPaddingGroupsRanges) {
  const Shape x{1, 4, 5, 5}, w{4, 2, 3, 3};
  EXPECT_ERROR_CONTAINS(validation_error(x, w, std::nullopt, make(IntPair(0, 2))), "stride=(0, 2)");
  EXPECT_ERROR_CONTAINS(validation_error(x, w, std::nullopt, make(-1)), "non-positive stride");
  EXPECT_ERROR_CONTAINS(validation_error(x, w, std::nullopt, make(1, 0, 0, 0)), "non-positive dilation");
  EXPECT_ERROR_CONTAINS(validation_error(x, w, std::nullopt, make(1, IntPair(1, -1))), "negative padding");
  EXPECT_ERROR_CONTAINS(validation_error(x, w, std::nullopt, make(2, 0, -1)), "negative output_padding");
  EXPECT_ERROR_CONTAINS(validation_error(x, w, std::nullopt, make(1, 0, 0, 1, 0)), "non-positive groups");
}

TEST(Validation, OutputPaddingMustBeBelowStrideOrDilation) {
  const Shape x{1, 2, 5, 5}, w{2, 2, 3, 3};
  const std::string message = validation_error(x, w, std::nullopt, make(2, 0, IntPair(2, 0)));
  EXPECT_ERROR_CONTAINS(message, "output padding must be smaller than either stride or dilation");
  EXPECT_ERROR_CONTAINS(message, "output_padding_height=2 with stride_height=2 and dilation_height=1");
  // Stride 1, dilation 1: any output padding is ambiguous-free and therefore refused.
  EXPECT_ERROR_CONTAINS(validation_error(x, w, std::nullopt, make(1, 0, IntPair(0, 1))), "output_padding_width=1");
  // Allowed through dilation alone: op >= s but op < d.
  EXPECT_EQ(validation_error(x, w, std::nullopt, make(1, 0, 2, 3)), "");
  EXPECT_EQ(validation_error(x, w, std::nullopt, make(2, 0, 2, 3)), "");
  EXPECT_EQ(validation_error(x, w, std::nullopt, make(3, 0, 2, 1)), "");
}

TEST(Validation, ChannelsGroupsAndBias) {
  EXPECT_ERROR_CONTAINS(validation_error({1, 3, 5, 5}, {4, 2, 3, 3}, std::nullopt, make(1)),
                        "has 3 channels, but weight of shape [4, 2, 3, 3] expects 4");
  EXPECT_ERROR_CONTAINS(validation_error({1, 6, 5, 5}, {6, 2, 3, 3}, std::nullopt, make(1, 0, 0, 1, 4)),
                        "weight.size(0) (C_in = 6) must be divisible by groups");
  EXPECT_ERROR_CONTAINS(validation_error({1, 4, 5, 5}, {4, 3, 3, 3}, Shape{5}, make(1, 0, 0, 1, 2)),
                        "bias of shape [5] has 5 elements, but needs weight.size(1) * groups = 6");
  EXPECT_EQ(validation_error({1, 4, 5, 5}, {4, 3, 3, 3}, Shape{6}, make(1, 0, 0, 1, 2)), "");
}

TEST(Validation, RanksAndEmptyDimensions) {
  EXPECT_ERROR_CONTAINS(validation_error({2, 3}, {3, 1, 1, 1}, std::nullopt, make(1)),
                        "expected 3-D (unbatched) or 4-D (batched) input");
  EXPECT_ERROR_CONTAINS(validation_error({1, 3, 4, 4}, {3, 1, 1}, std::nullopt, make(1)),
                        "expected a 4-D weight [C_in, C_out/groups, kH, kW]");
  EXPECT_ERROR_CONTAINS(validation_error({1, 3, 0, 4}, {3, 1, 1, 1}, std::nullopt, make(1)), "zero-sized");
  EXPECT_ERROR_CONTAINS(validation_error({1, 3, 4, 4}, {3, 0, 1, 1}, std::nullopt, make(1)), ">= 1");
}

TEST(Validation, OutputTooSmallShowsTheFormula) {
  const std::string message = validation_error({1, 1, 1, 1}, {1, 1, 2, 2}, std::nullopt, make(1, 1));
  EXPECT_ERROR_CONTAINS(message, "calculated output size (0 x 0) is too small");
  EXPECT_ERROR_CONTAINS(message, "(1-1)*1 - 2*1 + 1*(2-1) + 0 + 1 = 0");
}

TEST(Validation, HugeOutputsAreRefusedWithTheirByteCount) {
  set_memory_budget_bytes(uint64_t{1} << 30);
  const std::string message = validation_error({1, 1, 100000, 100000}, {1, 1, 1, 1}, std::nullopt, make(4));
  set_memory_budget_bytes(0);
  EXPECT_ERROR_CONTAINS(message, "would need 639990400036 bytes");
  // Parameters so large that the size itself would overflow are refused, not wrapped.
  EXPECT_NE(validation_error({1, 1, 4, 4}, {1, 1, 1, 1}, std::nullopt, make(int64_t{1} << 62)), "");
}

TEST(Validation, ErrorsNameTheOffendingParameter) {
  auto parameter = [](const Shape& x, const Shape& w, const std::optional<Shape>& b, const ConvTranspose2dParams& p) {
    try {
      validate_conv_transpose2d(x, w, b, p);
      return std::string("(valid)");
    } catch (const Error& e) {
      return e.parameter();
    }
  };
  const Shape x{1, 4, 5, 5}, w{4, 2, 3, 3};
  EXPECT_EQ(parameter(x, w, std::nullopt, make(0)), "stride");
  EXPECT_EQ(parameter(x, w, std::nullopt, make(1, -1)), "padding");
  EXPECT_EQ(parameter(x, w, std::nullopt, make(2, 0, 2)), "output_padding");
  EXPECT_EQ(parameter(x, w, std::nullopt, make(1, 0, 0, 0)), "dilation");
  EXPECT_EQ(parameter(x, w, std::nullopt, make(1, 0, 0, 1, 3)), "groups");
  EXPECT_EQ(parameter({1, 3, 5, 5}, w, std::nullopt, make(1)), "input");
  EXPECT_EQ(parameter(x, w, Shape{3}, make(1)), "bias");
  EXPECT_EQ(parameter({1, 4, 1, 1}, w, std::nullopt, make(1, 3)), "output_size");
}

TEST(Conv2dValidation, RulesAndOutputSize) {
  auto error = [](const Shape& x, const Shape& w, Conv2dParams p) -> std::string {
    try {
      validate_conv2d(x, w, std::nullopt, p);
      return "";
    } catch (const Error& e) {
      return e.what();
    }
  };
  EXPECT_EQ(validate_conv2d({1, 4, 9, 9}, {6, 2, 3, 3}, Shape{6}, Conv2dParams{2, 1, 1, 2}).output_shape(),
            (Shape{1, 6, 5, 5}));
  EXPECT_ERROR_CONTAINS(error({1, 4, 9, 9}, {6, 3, 3, 3}, Conv2dParams{1, 0, 1, 2}), "expects weight.size(1) * groups");
  EXPECT_ERROR_CONTAINS(error({1, 4, 2, 2}, {4, 4, 3, 3}, Conv2dParams{}), "kernel size can't be greater");
  EXPECT_ERROR_CONTAINS(error({1, 4, 9, 9}, {5, 2, 3, 3}, Conv2dParams{1, 0, 1, 2}), "must be divisible by groups");
}

}  // namespace
}  // namespace convt

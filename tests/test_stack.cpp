// Layer stacks: shapes chain layer to layer (errors name the layer), outputs equal the layers applied one by one,
// and the chain's coverage counts routes the way a hand count does.
#include "cli_sandbox.h"

#include <convt/backend.h>
#include <convt/error.h>
#include <convt/stack.h>

namespace convt {
namespace {

using namespace cli_testing;

StackLayer layer(const Shape& weight, ConvTranspose2dParams params, Activation activation, uint64_t seed) {
  StackLayer l;
  l.weight = Tensor::randn(weight, seed);
  l.bias = Tensor::randn({weight[1] * params.groups}, seed + 1);
  l.params = params;
  l.activation = activation;
  return l;
}

TEST(Stack, OutputsEqualTheLayersAppliedOneByOne) {
  const Tensor x = Tensor::randn({2, 4, 3, 3}, 1);
  const std::vector<StackLayer> layers{layer({4, 3, 4, 4}, {2, 1, 0, 1, 1}, Activation::LeakyReLU, 2),
                                       layer({3, 2, 3, 3}, {2, 1, 1, 1, 1}, Activation::Tanh, 4)};
  const std::vector<Tensor> outputs = run_stack(x, layers, backend_by_name("reference"));
  ASSERT_EQ(outputs.size(), 2u);
  Tensor h = conv_transpose2d_reference(x, layers[0].weight, &*layers[0].bias, layers[0].params);
  apply_activation(h, Activation::LeakyReLU, 0.01f);
  Tensor y = conv_transpose2d_reference(h, layers[1].weight, &*layers[1].bias, layers[1].params);
  apply_activation(y, Activation::Tanh, 0.01f);
  EXPECT_EQ(outputs[0].shape(), (Shape{2, 3, 6, 6}));
  EXPECT_EQ(outputs[1].shape(), (Shape{2, 2, 12, 12}));
  for (int64_t i = 0; i < y.numel(); ++i) EXPECT_FLOAT_EQ(outputs[1][i], y[i]);
  for (int64_t i = 0; i < h.numel(); ++i) EXPECT_FLOAT_EQ(outputs[0][i], h[i]);  // the stage output is after its activation
}

TEST(Stack, Activations) {
  for (const auto& [activation, expected] : std::vector<std::pair<Activation, std::vector<float>>>{
           {Activation::None, {-1.0f, 2.0f}},
           {Activation::ReLU, {0.0f, 2.0f}},
           {Activation::LeakyReLU, {-0.2f, 2.0f}},
           {Activation::Tanh, {std::tanh(-1.0f), std::tanh(2.0f)}}}) {
    Tensor t = Tensor::from_data({2}, {-1.0f, 2.0f});
    apply_activation(t, activation, 0.2f);
    EXPECT_FLOAT_EQ(t[0], expected[0]) << to_string(activation);
    EXPECT_FLOAT_EQ(t[1], expected[1]) << to_string(activation);
    EXPECT_EQ(parse_activation(to_string(activation)), activation);
  }
}

TEST(Stack, ShapeErrorsNameTheLayer) {
  const std::vector<StackLayer> layers{layer({4, 3, 4, 4}, {2, 1, 0, 1, 1}, Activation::None, 1),
                                       layer({5, 2, 3, 3}, {2, 1, 0, 1, 1}, Activation::None, 2)};
  try {
    validate_stack({1, 4, 3, 3}, layers);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("layer 2: ", 0), 0u) << e.what();
  }
  EXPECT_THROW(validate_stack({1, 4, 3, 3}, std::vector<StackLayer>{}), Error);
  EXPECT_THROW(parse_activation("gelu"), Error);
}

TEST(Stack, ChainCoverageCompounds) {
  auto ones = [](int64_t k, ConvTranspose2dParams p) {
    StackLayer l;
    l.weight = Tensor::ones({1, 1, k, k});
    l.params = p;
    return l;
  };
  // k3 s2 alone alternates 2 and 1 taps per axis; a following k4 s2 p1 sums neighbours into an even 3 per axis.
  const Tensor uneven = stack_coverage({1, 1, 8, 8}, {ones(3, {2, 0, 0, 1, 1})});
  EXPECT_EQ(summarize_stack_coverage(uneven, 2).verdict, OverlapVerdict::Uneven);
  const Tensor evened = stack_coverage({1, 1, 8, 8}, {ones(3, {2, 0, 0, 1, 1}), ones(4, {2, 1, 0, 1, 1})});
  const StackCoverageSummary summary = summarize_stack_coverage(evened, 6);
  EXPECT_EQ(summary.verdict, OverlapVerdict::Even);
  EXPECT_DOUBLE_EQ(summary.interior_max, 9.0);
  // A k1 s2 layer after an even one leaves holes whatever came before.
  const Tensor holes = stack_coverage({1, 1, 8, 8}, {ones(4, {2, 1, 0, 1, 1}), ones(1, {2, 0, 0, 1, 1})});
  EXPECT_EQ(summarize_stack_coverage(holes, 4).verdict, OverlapVerdict::Holes);
}

TEST(CliStack, PresetAndCustomLayers) {
  CliSandbox box;
  const nlohmann::json unet = parse_json_line(box.run("stack --preset unet --json --out-dir stages"));
  ASSERT_EQ(unet.at("layers").size(), 3u);
  EXPECT_EQ(unet.at("layers")[2].at("output_shape"), nlohmann::json({1, 64, 64, 64}));
  EXPECT_TRUE(fs::exists(box.work() / "stages" / "layer3.npy"));
  EXPECT_NE(unet.at("pytorch").get<std::string>().find("F.relu(h1)"), std::string::npos);
  const nlohmann::json custom = parse_json_line(box.run(
      "stack --input constant:1,1,8,8 --layer \"weight=constant:1,1,3,3;stride=2\" --layer \"weight=constant:1,1,1,1;stride=2\" --json"));
  EXPECT_EQ(custom.at("layers")[0].at("verdict"), "Uneven overlap");
  EXPECT_EQ(custom.at("stack_coverage").at("verdict"), "Holes");
  expect_error(box.run("stack --input random:1,4,4,4 --layer \"weight=random:3,2,4,4;stride=2\""), 2, {"layer 1", "channels"});
  expect_error(box.run("stack --input random:1,4,4,4 --layer \"weight=random:4,2,4,4;stirde=2\""), 2, {"unknown key 'stirde'"});
  // A preset's layers on another input: the first layer takes its channels.
  const nlohmann::json on_image = parse_json_line(box.run("stack --preset unet --input random:1,3,5,5 --json"));
  EXPECT_EQ(on_image.at("layers")[0].at("weight_shape"), nlohmann::json({3, 256, 4, 4}));
  EXPECT_EQ(on_image.at("layers")[2].at("output_shape"), nlohmann::json({1, 64, 40, 40}));
  expect_error(box.run("stack --preset unet --layer \"weight=random:4,2,4,4\""), 2, {"--preset", "--layer"});
}

}  // namespace
}  // namespace convt

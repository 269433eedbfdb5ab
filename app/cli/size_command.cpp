#include "size_command.h"

#include "cli_options.h"

#include <convt/analysis.h>
#include <convt/shape.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace convt::cli {
namespace {

struct AxisReport {
  const char* name;
  TransposedAxisSize size;
  std::vector<ForwardInput> forward_inputs;  // conv2d inputs that map to this axis's input size
  std::vector<PaddingChoice> solutions;  // for the wanted size, when one was given
  int64_t wanted = 0;
};

// "16 (op 0), 17 (op 1)"
std::string join(const std::vector<ForwardInput>& values) {
  std::string text;
  for (size_t i = 0; i < values.size(); ++i)
    text += (i ? ", " : "") + std::to_string(values[i].input) + " (op " + std::to_string(values[i].output_padding) + ")";
  return text;
}

}  // namespace

CLI::App* add_size_command(CLI::App& app, SizeOptions& options) {
  CLI::App* size = app.add_subcommand("size", "Show the output-size formula with numbers, and solve for a wanted size");
  size->add_option("--input-size", options.input_size, "Input size I or IH,IW")->required();
  size->add_option("--kernel", options.kernel, "Kernel size K or KH,KW")->required();
  size->add_option("--stride", options.stride, "Stride S or SH,SW")->capture_default_str();
  size->add_option("--padding", options.padding, "Padding P or PH,PW")->capture_default_str();
  size->add_option("--output-padding", options.output_padding, "Output padding OP or OPH,OPW")->capture_default_str();
  size->add_option("--dilation", options.dilation, "Dilation D or DH,DW")->capture_default_str();
  size->add_option("--want", options.want, "Wanted output size O or OH,OW: list every (padding, output_padding) that gives it");
  size->add_flag("--json", options.json, "Print one JSON object instead of text");
  return size;
}

void execute_size(const SizeOptions& options) {
  const ConvTranspose2dParams params =
      parse_param_flags(options.stride, options.padding, options.output_padding, options.dilation);
  const IntPair input = parse_pair("--input-size", options.input_size);
  const IntPair kernel = parse_pair("--kernel", options.kernel);
  const bool has_want = !options.want.empty();
  const IntPair want = has_want ? parse_pair("--want", options.want) : IntPair{};
  // The full validation (every rule, output >= 1) on a one-channel layer of these sizes.
  const ConvTranspose2dGeometry geometry =
      validate_conv_transpose2d({1, 1, input.h, input.w}, {1, 1, kernel.h, kernel.w}, std::nullopt, params);

  AxisReport axes[2] = {{"height", geometry.axis_h, {}, {}, want.h}, {"width", geometry.axis_w, {}, {}, want.w}};
  nlohmann::json json_axes = nlohmann::json::array();
  for (int axis = 0; axis < 2; ++axis) {
    AxisReport& a = axes[axis];
    a.forward_inputs = conv2d_inputs_mapping_to(input[axis], kernel[axis], params.stride[axis], params.padding[axis],
                                                params.dilation[axis]);
    if (has_want)
      a.solutions = solve_padding(input[axis], kernel[axis], params.stride[axis], params.dilation[axis], want[axis]);
    nlohmann::json solutions = nlohmann::json::array();
    for (const PaddingChoice& c : a.solutions)
      solutions.push_back({{"padding", c.padding}, {"output_padding", c.output_padding}});
    nlohmann::json forward = nlohmann::json::array();
    for (const ForwardInput& f : a.forward_inputs) forward.push_back({{"input", f.input}, {"output_padding", f.output_padding}});
    json_axes.push_back({{"axis", a.name},
                         {"formula", a.size.formula()},
                         {"output", a.size.output},
                         {"forward_conv_inputs", forward},
                         {"wanted", has_want ? nlohmann::json(a.wanted) : nlohmann::json(nullptr)},
                         {"solutions", solutions}});
  }

  if (options.json) {
    std::cout << nlohmann::json{{"command", "size"},
                                {"symbolic", TransposedAxisSize::symbolic()},
                                {"params", params_json(params)},
                                {"output", {geometry.out_h, geometry.out_w}},
                                {"axes", json_axes}}
                     .dump()
              << "\n";
    return;
  }
  std::printf("o = %s\n", TransposedAxisSize::symbolic());
  for (const AxisReport& a : axes) std::printf("%-7s %s\n", a.name, a.size.formula().c_str());
  std::printf("output  %lld x %lld\n", static_cast<long long>(geometry.out_h), static_cast<long long>(geometry.out_w));
  std::printf("\nWhy output_padding exists: a forward conv2d with the same kernel, stride, padding and dilation maps\n");
  for (int axis = 0; axis < 2; ++axis) {
    const AxisReport& a = axes[axis];
    if (a.forward_inputs.empty()) {
      std::printf("  %-7s no input size to %lld\n", a.name, static_cast<long long>(input[axis]));
      continue;
    }
    std::printf("  %-7s input sizes %s to %lld; output_padding picks one (now %lld -> %lld)\n", a.name,
                join(a.forward_inputs).c_str(), static_cast<long long>(input[axis]),
                static_cast<long long>(params.output_padding[axis]), static_cast<long long>(a.size.output));
  }
  if (!has_want) return;
  std::printf("\n(padding, output_padding) pairs that give the wanted size:\n");
  for (const AxisReport& a : axes) {
    std::string list;
    for (const PaddingChoice& c : a.solutions)
      list += (list.empty() ? "" : ", ") + std::string("(") + std::to_string(c.padding) + ", " +
              std::to_string(c.output_padding) + ")";
    std::printf("  %-7s %lld: %s\n", a.name, static_cast<long long>(a.wanted),
                list.empty() ? "none (change the kernel, stride or dilation)" : list.c_str());
  }
}

}  // namespace convt::cli

// The size solver: o = (i-1)*s - 2p + d*(k-1) + op + 1 rearranged as 2p - op = (i-1)*s + d*(k-1) + 1 - o,
// searched over the op values the rules allow (op < max(s, d)).
#include <convt/analysis.h>

#include <algorithm>

namespace convt {

std::vector<PaddingChoice> solve_padding(int64_t input, int64_t kernel, int64_t stride, int64_t dilation,
                                         int64_t wanted_output) {
  std::vector<PaddingChoice> choices;
  if (input < 1 || kernel < 1 || stride < 1 || dilation < 1 || wanted_output < 1) return choices;
  const int64_t difference = (input - 1) * stride + dilation * (kernel - 1) + 1 - wanted_output;  // 2p - op
  for (int64_t op = 0; op < std::max(stride, dilation); ++op) {
    const int64_t twice_padding = difference + op;
    if (twice_padding >= 0 && twice_padding % 2 == 0) choices.push_back({twice_padding / 2, op});
  }
  return choices;
}

std::vector<ForwardInput> conv2d_inputs_mapping_to(int64_t output, int64_t kernel, int64_t stride, int64_t padding,
                                                   int64_t dilation) {
  std::vector<ForwardInput> inputs;
  if (output < 1 || kernel < 1 || stride < 1 || dilation < 1 || padding < 0) return inputs;
  // The transposed conv's size with output_padding 0; each further op adds one.
  const int64_t smallest = (output - 1) * stride + dilation * (kernel - 1) + 1 - 2 * padding;
  for (int64_t op = 0; op < stride; ++op) {
    const int64_t i = smallest + op;
    if (i >= 1 && i + 2 * padding >= dilation * (kernel - 1) + 1 &&
        conv_axis_size(i, kernel, stride, padding, dilation) == output)
      inputs.push_back({i, op});
  }
  return inputs;
}

}  // namespace convt

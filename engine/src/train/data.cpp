// The training lab's data: an image crop as the target, in grey or RGB, and its f x f average pooling as the input
// (the low-resolution image the model learns to upsample).
#include <convt/error.h>
#include <convt/train.h>

#include "name_list.h"

namespace convt {

std::span<const char* const> train_color_names() {
  static constexpr const char* names[] = {"grey", "rgb"};
  return names;
}

TrainColor parse_train_color(const std::string& name) {
  const int index = find_name(train_color_names(), name == "gray" ? "grey" : name);
  if (index < 0) throw_invalid("unknown color '" + name + "': expected " + list_names(train_color_names()), "color");
  return static_cast<TrainColor>(index);
}

const char* to_string(TrainColor color) { return train_color_names()[static_cast<size_t>(color)]; }

Tensor average_pool(const Tensor& image, int64_t factor) {
  if (image.dim() != 4 || factor < 1 || image.size(2) % factor || image.size(3) % factor)
    throw_invalid("cannot average-pool " + shape_to_string(image.shape()) + " by " + std::to_string(factor) +
                  ": the height and width must be multiples of the factor");
  const int64_t planes = image.size(0) * image.size(1), H = image.size(2), W = image.size(3);
  const int64_t h = H / factor, w = W / factor;
  Tensor pooled({image.size(0), image.size(1), h, w});
  for (int64_t plane = 0; plane < planes; ++plane)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        double sum = 0;
        for (int64_t dy = 0; dy < factor; ++dy)
          for (int64_t dx = 0; dx < factor; ++dx) sum += image[(plane * H + y * factor + dy) * W + x * factor + dx];
        pooled[(plane * h + y) * w + x] = static_cast<float>(sum / static_cast<double>(factor * factor));
      }
  return pooled;
}

TrainingData make_training_data(const Tensor& image, const Crop& crop, int64_t factor, TrainColor color) {
  if (image.dim() != 4 || image.size(0) != 1 || image.size(1) < 1 || image.size(1) > 4)
    throw_invalid("the training image has shape " + shape_to_string(image.shape()) + ": expected [1, 1 to 4, H, W]", "image");
  const int64_t channels = image.size(1), H = image.size(2), W = image.size(3);
  const bool whole = crop.height == 0 && crop.width == 0;
  const Crop region = whole ? Crop{0, 0, H, W} : crop;
  const std::string crop_text = std::to_string(region.y) + "," + std::to_string(region.x) + "," +
                                std::to_string(region.height) + "," + std::to_string(region.width);
  if (region.y < 0 || region.x < 0 || region.height < 1 || region.width < 1 || region.y > H - region.height ||
      region.x > W - region.width)
    throw_invalid("crop " + crop_text + " (y, x, height, width) leaves the " + std::to_string(H) + "x" +
                      std::to_string(W) + " image (height x width)",
                  "crop");
  for (const auto& [size, axis] : {std::pair{region.height, "height"}, std::pair{region.width, "width"}})
    if (size % factor || size < factor)
      throw_invalid(std::string(whole ? "the image " : "the crop ") + axis + " " + std::to_string(size) +
                        " is not a positive multiple of the factor " + std::to_string(factor) +
                        (whole ? ": crop the image" : ""),
                    "crop");

  const int64_t out_channels = color == TrainColor::Grey ? 1 : 3;
  Tensor target({1, out_channels, region.height, region.width});
  const bool has_colour = channels >= 3;
  for (int64_t y = 0; y < region.height; ++y)
    for (int64_t x = 0; x < region.width; ++x) {
      auto source = [&](int64_t c) { return image.at(0, c, region.y + y, region.x + x); };
      if (color == TrainColor::Grey) {
        // ITU-R BT.601 luma, evaluated in float32 in this order, as torch does for 0.299*r + 0.587*g + 0.114*b.
        target.at(0, 0, y, x) = has_colour ? (0.299f * source(0) + 0.587f * source(1)) + 0.114f * source(2) : source(0);
      } else {
        for (int64_t c = 0; c < 3; ++c) target.at(0, c, y, x) = source(has_colour ? c : 0);
      }
    }
  TrainingData data;
  data.input = average_pool(target, factor);
  data.target = std::move(target);
  return data;
}

}  // namespace convt

// libFuzzer target: image bytes (PNG, JPEG, BMP, TGA via stb_image) must decode or throw convt::Error.
#include <convt/error.h>
#include <convt/image.h>
#include <convt/tensor.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Keep hostile dimensions from allocating gigabytes: the budget refuses them up front, as in the app.
  static const bool budget = (convt::set_memory_budget_bytes(64u << 20), true);
  (void)budget;
  try {
    convt::decode_image(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.png");
  } catch (const convt::Error&) {
  }
  return 0;
}

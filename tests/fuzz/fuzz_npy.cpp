// libFuzzer target: .npy bytes must parse or throw convt::Error, never crash, hang or read out of bounds.
#include <convt/error.h>
#include <convt/io.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    convt::parse_npy(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.npy");
  } catch (const convt::Error&) {
  }
  return 0;
}

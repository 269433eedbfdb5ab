// libFuzzer target: .safetensors bytes must list and load or throw convt::Error, never crash or overrun.
#include <convt/error.h>
#include <convt/io.h>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    for (const convt::SafetensorsEntry& entry : convt::list_safetensors_bytes(bytes, "fuzz.safetensors")) {
      try {
        convt::read_safetensors_bytes(bytes, "fuzz.safetensors", entry.name);
      } catch (const convt::Error&) {
      }
    }
  } catch (const convt::Error&) {
  }
  return 0;
}

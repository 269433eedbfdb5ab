// libFuzzer target: bytes as an ONNX model (no folder, so any external data is refused) and as a serialized
// TensorProto must load or throw convt::Error, never crash, hang, overrun or allocate without bound.
#include <convt/error.h>
#include <convt/onnx.h>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    convt::onnx::parse_model(bytes, "fuzz.onnx", "");
  } catch (const convt::Error&) {
  }
  try {
    convt::onnx::parse_tensor_pb(bytes, "fuzz.pb");
  } catch (const convt::Error&) {
  }
  return 0;
}

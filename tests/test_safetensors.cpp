// .safetensors reading: F32, F16, BF16 and F64 converted to float32, the CLI's FILE:NAME weights with their .bias
// picked up, and every malformed header refused with an I/O error that names the file and the problem.
#include "cli_sandbox.h"

#include <convt/error.h>
#include <convt/io.h>

#include <cstring>

namespace convt {
namespace {

using namespace cli_testing;

struct RawTensor {
  std::string name, dtype;
  Shape shape;
  std::string data;  // raw little-endian bytes
};

// Builds a .safetensors file by hand, so the tests need no Python; `header_override` replaces the JSON header.
std::string safetensors_bytes(const std::vector<RawTensor>& tensors, const std::string& header_override = "") {
  nlohmann::json header = {{"__metadata__", {{"format", "pt"}}}};
  std::string data;
  for (const RawTensor& t : tensors) {
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {data.size(), data.size() + t.data.size()}}};
    data += t.data;
  }
  const std::string text = header_override.empty() ? header.dump() : header_override;
  std::string bytes(8, '\0');
  uint64_t length = text.size();
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>((length >> (8 * i)) & 0xFF);
  return bytes + text + data;
}

template <typename T>
std::string raw(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

std::string error_of(const std::string& path, const std::string& name) {
  try {
    read_safetensors(path, name);
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
    return e.what();
  }
}

TEST(Safetensors, ConvertsEveryFloatTypeAndListsTensors) {
  CliSandbox box;
  // 1.0, -2.0, 0.5, 65504 (largest half), a subnormal half (2^-24), and +inf, as F16 bit patterns.
  const std::vector<uint16_t> f16{0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x7C00};
  const std::vector<uint16_t> bf16{0x3F80, 0xC000, 0x3F00, 0x4049};  // 1, -2, 0.5, 3.140625
  const std::string path = box.file("model.safetensors");
  write_file_atomically(path, safetensors_bytes({{"a.f32", "F32", {2, 2}, raw(std::vector<float>{1, 2, 3, 4})},
                                                 {"b.f16", "F16", {6}, raw(f16)},
                                                 {"c.bf16", "BF16", {1, 1, 2, 2}, raw(bf16)},
                                                 {"d.f64", "F64", {1}, raw(std::vector<double>{0.25})},
                                                 {"e.i64", "I64", {1}, raw(std::vector<int64_t>{7})}}));
  const std::vector<SafetensorsEntry> entries = list_safetensors(path);
  ASSERT_EQ(entries.size(), 5u);
  const Tensor a = read_safetensors(path, "a.f32"), b = read_safetensors(path, "b.f16");
  const Tensor c = read_safetensors(path, "c.bf16"), d = read_safetensors(path, "d.f64");
  EXPECT_EQ(a.shape(), (Shape{2, 2}));
  EXPECT_EQ(a[3], 4.0f);
  EXPECT_EQ(b[0], 1.0f);
  EXPECT_EQ(b[1], -2.0f);
  EXPECT_EQ(b[2], 0.5f);
  EXPECT_EQ(b[3], 65504.0f);
  EXPECT_EQ(b[4], std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(b[5]));
  EXPECT_EQ(c.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(c[3], 3.140625f);
  EXPECT_EQ(d[0], 0.25f);
  EXPECT_NE(error_of(path, "e.i64").find("only F32, F16, BF16 and F64"), std::string::npos);
  const std::string missing = error_of(path, "nope");
  EXPECT_NE(missing.find("no tensor named 'nope'"), std::string::npos) << missing;
  EXPECT_NE(missing.find("c.bf16"), std::string::npos) << "the 4-D tensors are listed: " << missing;
}

TEST(Safetensors, MalformedFilesAreIoErrorsNamingTheProblem) {
  CliSandbox box;
  const std::string ok_tensor = raw(std::vector<float>{1, 2});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {std::string("\x05\x00", 2), "shorter than"},
      {safetensors_bytes({}, "").substr(0, 8) + "", ""},  // replaced below: header longer than the file
      {safetensors_bytes({{"w", "F32", {2}, ok_tensor}}, "{not json"), "not valid JSON"},
      {safetensors_bytes({{"w", "F32", {2}, ok_tensor}}, R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 80]}})"), "outside"},
      {safetensors_bytes({{"w", "F32", {2}, ok_tensor}}, R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})"), "needs 12 bytes"},
      {safetensors_bytes({{"w", "F32", {2}, ok_tensor}}, R"({"w": {"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}})"), "unknown dtype"},
      {safetensors_bytes({{"w", "F32", {2}, ok_tensor}}, R"({"w": {"dtype": "F32", "shape": [2]}})"), "data_offsets"},
      {safetensors_bytes({{"w", "F32", {2}, ok_tensor}},
                         R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296], "data_offsets": [0, 8]}})"),
       "overflows"},
      {safetensors_bytes({{"w", "F32", {2}, ok_tensor}},
                         R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})"),
       "overlap"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string bytes = cases[i].first, expected = cases[i].second;
    if (i == 1) {  // a header length pointing past the end of the file
      bytes = std::string("\xFF\x00\x00\x00\x00\x00\x00\x00", 8) + "{}";
      expected = "truncated";
    }
    const std::string path = box.file("bad" + std::to_string(i) + ".safetensors");
    write_file_atomically(path, bytes);
    const std::string message = error_of(path, "w");
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find(expected), std::string::npos) << "case " << i << ": " << message;
  }
}

TEST(Safetensors, CliTakesFileColonNameAndPicksUpTheBias) {
  CliSandbox box;
  const Tensor w = Tensor::randn({3, 2, 4, 4}, 1), b = Tensor::randn({2}, 2), x = Tensor::randn({1, 3, 5, 5}, 3);
  write_file_atomically(box.file("model.safetensors"),
                        safetensors_bytes({{"up.weight", "F32", w.shape(), raw(std::vector<float>(w.data(), w.data() + w.numel()))},
                                           {"up.bias", "F32", b.shape(), raw(std::vector<float>(b.data(), b.data() + b.numel()))}}));
  write_npy(box.file("x.npy"), x);
  const CliResult r = box.run("run --input x.npy --weight model.safetensors:up.weight --stride 2 --padding 1 --out y.npy --json");
  const nlohmann::json report = parse_json_line(r);
  EXPECT_EQ(report.at("bias_shape"), nlohmann::json({2}));
  const Tensor expected = conv_transpose2d_reference(x, w, &b, ConvTranspose2dParams{2, 1, 0, 1, 1});
  const Tensor y = read_npy(box.file("y.npy"));
  ASSERT_EQ(y.shape(), expected.shape());
  for (int64_t i = 0; i < y.numel(); ++i) EXPECT_NEAR(y[i], expected[i], 1e-4);
  // --bias none overrides the automatic pick; a missing name is an I/O error that lists the 4-D tensors.
  EXPECT_TRUE(parse_json_line(box.run("run --input x.npy --weight model.safetensors:up.weight --bias none --out y.npy --json"))
                  .at("bias_shape").is_null());
  expect_error(box.run("run --input x.npy --weight model.safetensors:down.weight --out y.npy"), 3, {"down.weight", "up.weight"});
  const nlohmann::json listing = parse_json_line(box.run("tensors model.safetensors --json"));
  ASSERT_EQ(listing.at("tensors").size(), 2u);
  EXPECT_EQ(listing.at("tensors")[0].at("name"), "up.weight");
  EXPECT_TRUE(listing.at("tensors")[0].at("weight_candidate").get<bool>());
}

}  // namespace
}  // namespace convt

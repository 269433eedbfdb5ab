// .npy reading and writing, and the atomic file writes under them. Files are built byte by byte here so every
// malformed case is exact and no Python is needed.
#include "temp_dir.h"

#include <convt/error.h>
#include <convt/io.h>
#include <convt/tensor.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <unistd.h>
#include <vector>

namespace convt {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

template <typename T>
std::string raw_bytes(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

// magic, version, little-endian header length (2 bytes for 1.0, 4 for 2.0), header dict, data: the whole format.
std::string npy_file(const std::string& header, const std::string& data, int major = 1) {
  std::string bytes = "\x93NUMPY";
  bytes += static_cast<char>(major);
  bytes += '\0';
  const size_t width = major == 1 ? 2 : 4;
  for (size_t i = 0; i < width; ++i) bytes += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return bytes + header + data;
}

std::string f4_header(const std::string& shape) {
  return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }\n";
}

// Runs `action`, requires an Io error, and returns its message for the caller's key-word checks.
std::string io_error_message(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected a convt::Error";
  return "";
}

// Reads `bytes` back from a file and checks the message names the file and contains every key word.
void expect_rejected(const std::string& bytes, const std::vector<std::string>& words) {
  TempDir dir;
  const std::string path = dir.file("bad.npy");
  write_bytes(path, bytes);
  const std::string message = io_error_message([&] { read_npy(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << "messages are one line: " << message;
  for (const std::string& word : words) EXPECT_NE(message.find(word), std::string::npos) << word << " in: " << message;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  // memcmp must not see the null data pointer of an empty tensor, even for 0 bytes.
  return a.shape() == b.shape() && (a.numel() == 0 || std::memcmp(a.data(), b.data(), static_cast<size_t>(a.numel()) * 4) == 0);
}

TEST(NpyRoundTrip, EveryRankIsBitExact) {
  TempDir dir;
  // Special values too: a lossless format must keep -0, infinities, NaN payloads and subnormals as they are.
  const std::vector<float> specials{-0.0f, std::numeric_limits<float>::infinity(),
                                    -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN(),
                                    std::numeric_limits<float>::denorm_min(), 1.0f / 3.0f};
  const std::vector<Shape> shapes{{}, {3}, {1}, {2, 3}, {2, 3, 4}, {1, 2, 3, 4}, {2, 0, 3}};
  for (const Shape& shape : shapes) {
    Tensor t = Tensor::randn(shape, 7);
    for (int64_t i = 0; i < t.numel() && i < static_cast<int64_t>(specials.size()); ++i) t[i] = specials[i];
    const std::string path = dir.file("t.npy");
    write_npy(path, t);
    const Tensor back = read_npy(path);
    EXPECT_TRUE(same_bits(back, t)) << shape_to_string(shape);
    EXPECT_TRUE(same_bits(parse_npy(encode_npy(t), "memory"), t)) << shape_to_string(shape);
  }
}

TEST(NpyRoundTrip, EncodedHeaderIsNumpyVersion1AlignedTo64) {
  for (const Shape& shape : std::vector<Shape>{{}, {3}, {2, 3}, {1, 2, 3, 4}, {123456, 7, 0, 99999}}) {
    const Tensor t(shape);
    const std::string bytes = encode_npy(t);
    ASSERT_GE(bytes.size(), 10u);
    EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
    const size_t header_length =
        static_cast<unsigned char>(bytes[8]) | (static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    EXPECT_EQ((10 + header_length) % 64, 0u) << shape_to_string(shape);
    EXPECT_EQ(bytes.size(), 10 + header_length + static_cast<size_t>(t.numel()) * 4);
    const std::string header = bytes.substr(10, header_length);
    EXPECT_EQ(header.back(), '\n');
    EXPECT_NE(header.find("'descr': '<f4'"), std::string::npos) << header;
    EXPECT_NE(header.find("'fortran_order': False"), std::string::npos) << header;
  }
  // Python tuple syntax: numpy itself rejects "(3)" as a 1-D shape.
  EXPECT_NE(encode_npy(Tensor({3})).find("'shape': (3,)"), std::string::npos);
  EXPECT_NE(encode_npy(Tensor(Shape{})).find("'shape': ()"), std::string::npos);
  EXPECT_NE(encode_npy(Tensor({1, 2, 3, 4})).find("'shape': (1, 2, 3, 4)"), std::string::npos);
}

TEST(NpyRead, Float64IsConvertedToFloat32) {
  const std::vector<double> values{1.5, -2.25, 0.1, 1e-3, 3.0e38, -7.0};
  const std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }\n";
  for (int major : {1, 2}) {
    const Tensor t = parse_npy(npy_file(header, raw_bytes(values), major), "f8.npy");
    ASSERT_EQ(t.shape(), (Shape{2, 3})) << "version " << major;
    for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(t[static_cast<int64_t>(i)], static_cast<float>(values[i]));
  }
}

TEST(NpyRead, AcceptsVersion2HeaderAndOtherKeyOrder) {
  const std::vector<float> values{1, 2, 3, 4};
  // numpy writes sorted keys, but other writers need not; double quotes and no trailing comma are valid too.
  const std::string header = "{\"shape\": (4,), \"fortran_order\": False, \"descr\": \"<f4\"}";
  for (int major : {1, 2}) {
    const Tensor t = parse_npy(npy_file(header, raw_bytes(values), major), "v.npy");
    ASSERT_EQ(t.shape(), (Shape{4}));
    for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(t[i], values[static_cast<size_t>(i)]);
  }
  // Python 2 era files spell dimensions as longs.
  EXPECT_EQ(parse_npy(npy_file(f4_header("(2L, 1L)"), raw_bytes(std::vector<float>{1, 2})), "l.npy").shape(),
            (Shape{2, 1}));
}

TEST(NpyMalformed, BadMagicOrTooShort) {
  const std::string good = npy_file(f4_header("(1,)"), raw_bytes(std::vector<float>{1}));
  std::string bad = good;
  bad[1] = 'X';
  expect_rejected(bad, {"magic"});
  expect_rejected("\x93NUM", {"magic"});
  expect_rejected("", {"magic"});
  std::string future = good;
  future[6] = 9;
  expect_rejected(future, {"version"});
}

TEST(NpyMalformed, FortranOrder) {
  const std::string header = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n";
  expect_rejected(npy_file(header, raw_bytes(std::vector<float>{1, 2, 3, 4})), {"Fortran"});
}

TEST(NpyMalformed, BigEndian) {
  for (const char* descr : {">f4", ">f8"}) {
    const std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (1,), }";
    expect_rejected(npy_file(header, std::string(descr[2] == '4' ? 4 : 8, '\0')), {"big-endian", descr});
  }
}

TEST(NpyMalformed, OtherDtypes) {
  for (const char* descr : {"<i8", "<f2", "|u1", "<c8"}) {
    const std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (2,), }";
    expect_rejected(npy_file(header, std::string(16, '\0')), {"dtype", descr});
  }
}

TEST(NpyMalformed, DataShorterOrLongerThanTheShape) {
  expect_rejected(npy_file(f4_header("(2, 3)"), std::string(20, '\0')), {"truncated", "[2, 3]", "24", "20"});
  expect_rejected(npy_file(f4_header("(2, 3)"), ""), {"truncated"});
  expect_rejected(npy_file(f4_header("(2,)"), std::string(12, '\0')), {"disagrees", "[2]", "8", "12"});
  expect_rejected(npy_file(f4_header("()"), std::string(8, '\0')), {"disagrees"});
}

TEST(NpyMalformed, TruncatedHeaderOrPreamble) {
  const std::string whole = npy_file(f4_header("(2,)"), std::string(8, '\0'));
  expect_rejected(whole.substr(0, 30), {"truncated", "header"});
  expect_rejected(whole.substr(0, 9), {"truncated"});
  std::string v2 = npy_file(f4_header("(2,)"), std::string(8, '\0'), 2);
  expect_rejected(v2.substr(0, 10), {"truncated"});
}

TEST(NpyMalformed, HeaderDictProblems) {
  expect_rejected(npy_file("{'descr': '<f4', 'fortran_order': False, }", std::string(4, '\0')), {"shape"});
  expect_rejected(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", ""), {"shape"});
  expect_rejected(npy_file("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", std::string(4, '\0')),
                  {"fortran_order"});
  expect_rejected(npy_file("not a dict", ""), {"header"});
  expect_rejected(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", ""), {"extra"});
}

TEST(NpyMalformed, ShapeOverflows) {
  // One dimension past int64.
  expect_rejected(npy_file(f4_header("(99999999999999999999,)"), ""), {"overflows"});
  expect_rejected(npy_file(f4_header("(9223372036854775808,)"), ""), {"overflows"});
  // Each dimension fits but the product does not.
  expect_rejected(npy_file(f4_header("(4294967296, 4294967296)"), ""), {"[4294967296, 4294967296]", "elements"});
  // The element count fits int64 but the byte count does not: refused as truncated before any allocation.
  expect_rejected(npy_file(f4_header("(9223372036854775807,)"), std::string(4, '\0')), {"truncated"});
  expect_rejected(npy_file(f4_header("(3000000000, 3000000000)"), std::string(4, '\0')), {"truncated"});
}

TEST(NpyMalformed, MissingFileAndDirectory) {
  TempDir dir;
  const std::string missing = dir.file("no-such.npy");
  std::string message = io_error_message([&] { read_npy(missing); });
  EXPECT_NE(message.find(missing), std::string::npos) << message;
  message = io_error_message([&] { read_npy(dir.path().string()); });
  EXPECT_NE(message.find(dir.path().string()), std::string::npos) << message;
  EXPECT_NE(message.find("directory"), std::string::npos) << message;
}

TEST(NpyAtomicWrite, ReplacesAnExistingFileWhole) {
  TempDir dir;
  const std::string path = dir.file("out.npy");
  write_bytes(path, std::string(1000, 'x'));
  write_file_atomically(path, "short");
  EXPECT_EQ(read_file(path), "short");
  const Tensor t = Tensor::arange({2, 2});
  write_npy(path, t);
  EXPECT_TRUE(same_bits(read_npy(path), t));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.npy"});
}

TEST(NpyAtomicWrite, NoTemporaryFileLeftAfterSuccess) {
  TempDir dir;
  for (int i = 0; i < 3; ++i) write_npy(dir.file("a.npy"), Tensor::randn({4}, static_cast<uint64_t>(i)));
  write_file_atomically(dir.file("b.bin"), "");
  EXPECT_EQ(read_file(dir.file("b.bin")), "");
  // Any ".<name>.tmp-*" left over would show up here.
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"a.npy", "b.bin"}));
}

TEST(NpyAtomicWrite, MissingDirectoryThrowsIoAndLeavesNothing) {
  TempDir dir;
  const std::string path = (dir.path() / "missing" / "out.npy").string();
  const std::string message = io_error_message([&] { write_npy(path, Tensor::ones({2})); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(dir.path() / "missing"));
  EXPECT_TRUE(dir.entries().empty());
}

TEST(NpyAtomicWrite, DirectoryOrEmptyPathIsRefused) {
  TempDir dir;
  fs::create_directory(dir.path() / "sub");
  const std::string message = io_error_message([&] { write_file_atomically(dir.file("sub"), "x"); });
  EXPECT_NE(message.find("directory"), std::string::npos) << message;
  EXPECT_TRUE(fs::is_directory(dir.path() / "sub"));
  EXPECT_TRUE(fs::is_empty(dir.path() / "sub"));
  io_error_message([&] { write_file_atomically("", "x"); });
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"sub"});
}

}  // namespace
}  // namespace convt

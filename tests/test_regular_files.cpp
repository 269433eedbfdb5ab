// Only regular files are read: a character device (/dev/zero), a directory, a FIFO with no writer and a Unix
// socket are refused at once by every reader, as an I/O error naming the file; a file larger than the memory budget
// is refused before it is read; and the CLI turns all of this into exit code 3 instead of hanging.
#include "cli_sandbox.h"

#include <convt/error.h>
#include <convt/image.h>
#include <convt/io.h>
#include <convt/workspace.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <future>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace convt {
namespace {

using namespace cli_testing;
using Clock = std::chrono::steady_clock;

// Restores the default memory budget even when an assertion fails mid-test.
struct BudgetGuard {
  explicit BudgetGuard(uint64_t bytes) { set_memory_budget_bytes(bytes); }
  ~BudgetGuard() { set_memory_budget_bytes(0); }
  BudgetGuard(const BudgetGuard&) = delete;
  BudgetGuard& operator=(const BudgetGuard&) = delete;
};

struct Reader {
  std::string name;
  std::function<void(const std::string&)> read;
};

const std::vector<Reader>& every_reader() {
  static const std::vector<Reader> readers{
      {"read_npy", [](const std::string& p) { read_npy(p); }},
      {"read_safetensors", [](const std::string& p) { read_safetensors(p, "w"); }},
      {"list_safetensors", [](const std::string& p) { list_safetensors(p); }},
      {"read_matching_bias", [](const std::string& p) { read_matching_bias(p, "layer.weight"); }},
      {"read_image", [](const std::string& p) { read_image(p); }},
      {"read_file", [](const std::string& p) { read_file(p); }},
      {"read_workspace", [](const std::string& p) { read_workspace(p); }},
  };
  return readers;
}

// Runs `read` on a thread and expects an Io error naming `path` and `kind` within a few seconds. Should a
// regression block on a FIFO, the FIFO is opened for writing and closed, so the reader sees end-of-file and the
// test fails instead of hanging.
void expect_refused_promptly(const Reader& reader, const std::string& path, const std::string& kind) {
  SCOPED_TRACE(reader.name + "('" + path + "')");
  const auto start = Clock::now();
  std::future<std::string> result = std::async(std::launch::async, [&]() -> std::string {
    try {
      reader.read(path);
      return "no error";
    } catch (const Error& e) {
      return std::string(e.kind() == ErrorKind::Io ? "Io: " : "not Io: ") + e.what();
    }
  });
  if (result.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    ADD_FAILURE() << "still reading after 5 s";
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && S_ISFIFO(info.st_mode)) {
      const int writer = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (writer >= 0) ::close(writer);
    }
  }
  const std::string message = result.get();
  EXPECT_EQ(message.rfind("Io: ", 0), 0u) << message;
  EXPECT_TRUE(contains(message, "'" + path + "'")) << message;
  EXPECT_TRUE(contains(message, "not a regular file (" + kind + ")")) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 2.0);
}

void expect_every_reader_refuses(const std::string& path, const std::string& kind) {
  for (const Reader& reader : every_reader()) expect_refused_promptly(reader, path, kind);
}

TEST(RegularFiles, CharacterDeviceIsRefused) {
  if (::access("/dev/zero", R_OK) != 0) GTEST_SKIP() << "no readable /dev/zero";
  expect_every_reader_refuses("/dev/zero", "a character device");
}

TEST(RegularFiles, DirectoryIsRefused) {
  CliSandbox box;
  fs::create_directory(box.work() / "model.safetensors");
  expect_every_reader_refuses(box.file("model.safetensors"), "a directory");
}

TEST(RegularFiles, FifoWithoutWriterIsRefusedWithoutBlocking) {
  CliSandbox box;
  const std::string path = box.file("in.npy");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0) << std::strerror(errno);
  expect_every_reader_refuses(path, "a FIFO");
}

TEST(RegularFiles, SocketIsRefused) {
  CliSandbox box;
  const std::string path = box.file("s.sock");
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) GTEST_SKIP() << "temporary path too long for a socket: " << path;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0) << std::strerror(errno);
  expect_every_reader_refuses(path, "a socket");
  ::close(fd);
}

TEST(RegularFiles, SymlinksAreFollowed) {
  CliSandbox box;
  const Tensor x = Tensor::randn({1, 2, 3, 3}, 3);
  write_npy(box.file("x.npy"), x);
  fs::create_symlink(box.file("x.npy"), box.work() / "link.npy");
  const Tensor back = read_npy(box.file("link.npy"));
  ASSERT_EQ(back.shape(), x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_EQ(back[i], x[i]);
  EXPECT_EQ(read_file(box.file("link.npy")), read_file(box.file("x.npy")));

  if (::access("/dev/zero", R_OK) != 0) GTEST_SKIP() << "no readable /dev/zero";
  fs::create_symlink("/dev/zero", box.work() / "zero.npy");
  expect_every_reader_refuses(box.file("zero.npy"), "a character device");
}

// What is refused for its size, before a byte is read: the message names the file, its size and the budget.
std::string over_budget_error(const std::function<void()>& read) {
  try {
    read();
    return "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::OutOfMemoryBudget) << e.what();
    return e.what();
  }
}

TEST(RegularFiles, FileOverTheMemoryBudgetIsRefusedBeforeReading) {
  CliSandbox box;
  const std::string path = box.file("big.png");
  write_file_atomically(path, std::string(4096, 'x'));
  {
    const BudgetGuard budget(1000);
    for (const std::function<void()>& read : {std::function<void()>([&] { read_file(path); }),
                                               std::function<void()>([&] { read_image(path); })}) {
      const std::string message = over_budget_error(read);
      EXPECT_TRUE(contains(message, "'" + path + "'")) << message;
      EXPECT_TRUE(contains(message, "4096 bytes")) << message;
      EXPECT_TRUE(contains(message, "memory budget of 1000 bytes")) << message;
    }
  }
  EXPECT_EQ(read_file(path).size(), 4096u);  // the default budget is back

  // A sparse file far larger than the default budget: refused from its size at once, nothing allocated or read.
  const std::string huge = box.file("huge.npy");
  const uint64_t huge_size = memory_budget_bytes() * 4;
  {
    const int fd = ::open(huge.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    const bool made = ::ftruncate(fd, static_cast<off_t>(huge_size)) == 0;
    ::close(fd);
    if (!made) GTEST_SKIP() << "this file system cannot hold a sparse file of " << huge_size << " bytes";
  }
  const auto start = Clock::now();
  for (const std::function<void()>& read : {std::function<void()>([&] { read_file(huge); }),
                                             std::function<void()>([&] { read_npy(huge); }),
                                             std::function<void()>([&] { read_image(huge); })}) {
    const std::string message = over_budget_error(read);
    EXPECT_TRUE(contains(message, "'" + huge + "'")) << message;
    EXPECT_TRUE(contains(message, std::to_string(huge_size) + " bytes")) << message;
  }
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 2.0);
}

// A .safetensors file is not read whole: only its header and the tensor asked for count against the budget.
TEST(RegularFiles, SafetensorsModelLargerThanTheBudgetStillLoadsOneTensor) {
  CliSandbox box;
  const std::vector<float> w(9, 0.5f), big(1 << 18, 1.0f);  // 36 bytes and 1 MiB
  const nlohmann::json header = {
      {"w", {{"dtype", "F32"}, {"shape", {1, 1, 3, 3}}, {"data_offsets", {0, 36}}}},
      {"big", {{"dtype", "F32"}, {"shape", {1 << 18}}, {"data_offsets", {36, 36 + (4 << 18)}}}}};
  const std::string text = header.dump();
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>((text.size() >> (8 * i)) & 0xFF);
  bytes += text;
  bytes.append(reinterpret_cast<const char*>(w.data()), w.size() * sizeof(float));
  bytes.append(reinterpret_cast<const char*>(big.data()), big.size() * sizeof(float));
  const std::string path = box.file("model.safetensors");
  write_file_atomically(path, bytes);

  const BudgetGuard budget(64 << 10);
  EXPECT_EQ(list_safetensors(path).size(), 2u);
  const Tensor loaded = read_safetensors(path, "w");
  ASSERT_EQ(loaded.shape(), (Shape{1, 1, 3, 3}));
  EXPECT_EQ(loaded[8], 0.5f);
  const std::string message = over_budget_error([&] { read_safetensors(path, "big"); });
  EXPECT_TRUE(contains(message, "bytes")) << message;
}

// The CLI end to end: exit code 3 at once, one `error:` line naming the file, no output written. Each run goes
// through `timeout` (as the command env runs), so a regression that blocks fails with 124 instead of hanging.
const std::string kTimeout = "timeout -k 2 10";

TEST(RegularFilesCli, DevZeroInputExits3AtOnce) {
  if (::access("/dev/zero", R_OK) != 0) GTEST_SKIP() << "no readable /dev/zero";
  CliSandbox box;
  const auto start = Clock::now();
  const CliResult r = box.run("run --input /dev/zero --weight random:1,1,3,3 --out y.npy", kTimeout);
  expect_error(r, 3, {"'/dev/zero'", "not a regular file (a character device)"});
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 5.0);
  EXPECT_TRUE(box.work_entries().empty());
}

TEST(RegularFilesCli, FifoInputExits3AtOnce) {
  CliSandbox box;
  ASSERT_EQ(::mkfifo(box.file("in.npy").c_str(), 0600), 0) << std::strerror(errno);
  const auto start = Clock::now();
  const CliResult r = box.run("run --input in.npy --weight random:1,1,3,3 --out y.npy", kTimeout);
  expect_error(r, 3, {"'in.npy'", "not a regular file (a FIFO)"});
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 5.0);
  EXPECT_EQ(box.work_entries(), std::vector<std::string>{"in.npy"});  // the FIFO itself, and no y.npy
}

TEST(RegularFilesCli, FifoSafetensorsWeightExits3AtOnce) {
  CliSandbox box;
  ASSERT_EQ(::mkfifo(box.file("m.safetensors").c_str(), 0600), 0) << std::strerror(errno);
  const CliResult r =
      box.run("run --input random:1,1,4,4 --weight m.safetensors:up.weight --out y.npy", kTimeout);
  expect_error(r, 3, {"'m.safetensors'", "not a regular file (a FIFO)"});
  EXPECT_EQ(box.work_entries(), std::vector<std::string>{"m.safetensors"});
}

}  // namespace
}  // namespace convt

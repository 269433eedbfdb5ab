// Whole-file reads and atomic writes. A write goes to a temporary file beside the destination (same directory,
// so the rename cannot cross file systems), is flushed to disk, and is renamed over the destination: a reader,
// a crash or a failed write never sees a half-written file, and an existing file survives any error. Reads go
// through RegularFile: only regular files are read, so /dev/zero, a FIFO or a socket is refused instead of hanging.
#include <convt/error.h>
#include <convt/io.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace convt {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Closes a file descriptor on every path out of a scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

std::string temporary_path_for(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  const std::filesystem::path target(path);
  const std::string name = "." + target.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                           std::to_string(counter.fetch_add(1));
  return (target.parent_path() / name).string();
}

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "an unknown kind of file";
}

void refuse_unless_regular(const std::string& path, mode_t mode) {
  if (!S_ISREG(mode)) throw_io("cannot read '" + path + "': not a regular file (" + file_kind(mode) + ")");
}

// The same kind of error as a tensor over the budget (ErrorKind::OutOfMemoryBudget), raised before any byte is read.
[[noreturn]] void refuse_over_budget(const std::string& path, const std::string& size, uint64_t budget) {
  throw Error(ErrorKind::OutOfMemoryBudget, "cannot read '" + path + "': the file " + size +
                                                ", over the memory budget of " + std::to_string(budget) +
                                                " bytes (set CONVT_MEMORY_BUDGET to change it)");
}

}  // namespace

RegularFile::RegularFile(const std::string& path) : path_(path) {
  // stat() first, so that nothing but a regular file is ever opened (opening a device can have effects of its own).
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) throw_io("cannot open '" + path + "': " + errno_text());
  refuse_unless_regular(path, info.st_mode);
  // Non-blocking: a FIFO swapped in after the stat() opens at once instead of waiting for a writer, and is then
  // refused by the fstat() of what was actually opened.
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) throw_io("cannot open '" + path + "': " + errno_text());
  if (::fstat(fd.get(), &info) != 0) throw_io("cannot read '" + path + "': " + errno_text());
  refuse_unless_regular(path, info.st_mode);
  const int flags = ::fcntl(fd.get(), F_GETFL);  // a regular file: back to plain blocking reads
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  size_ = info.st_size > 0 ? static_cast<uint64_t>(info.st_size) : 0;
  fd_ = fd.release();
}

RegularFile::~RegularFile() {
  if (fd_ >= 0) ::close(fd_);
}

uint64_t RegularFile::read_at(uint64_t offset, char* out, uint64_t length) const {
  uint64_t done = 0;
  while (done < length) {
    const uint64_t chunk = std::min<uint64_t>(length - done, uint64_t{1} << 30);
    const ssize_t got = ::pread(fd_, out + done, static_cast<size_t>(chunk), static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      throw_io("cannot read '" + path_ + "': " + errno_text());
    }
    if (got == 0) break;
    done += static_cast<uint64_t>(got);
  }
  return done;
}

std::string read_file(const std::string& path) {
  const RegularFile file(path);
  const uint64_t budget = memory_budget_bytes();
  if (file.size() > budget) refuse_over_budget(path, "has " + std::to_string(file.size()) + " bytes", budget);
  std::string bytes(static_cast<size_t>(file.size()), '\0');
  bytes.resize(static_cast<size_t>(file.read_at(0, bytes.data(), bytes.size())));
  // Files whose size stat() does not know (some under /proc) or that grew since: read on to the end, within budget.
  char buffer[1 << 16];
  for (;;) {
    const uint64_t got = file.read_at(bytes.size(), buffer, sizeof buffer);
    if (got == 0) break;
    if (bytes.size() + got > budget)
      refuse_over_budget(path, "has more than " + std::to_string(budget) + " bytes", budget);
    bytes.append(buffer, static_cast<size_t>(got));
  }
  return bytes;
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  if (path.empty()) throw_io("cannot write a file with an empty path");
  std::error_code ignored;  // the error_code overload: a bad path is reported by open() below, not thrown here
  if (std::filesystem::is_directory(path, ignored)) throw_io("cannot write '" + path + "': it is a directory");
  const std::string temporary = temporary_path_for(path);
  FileDescriptor fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) throw_io("cannot write '" + path + "': " + errno_text());

  auto fail = [&](const std::string& what) {
    const std::string reason = errno_text();
    ::close(fd.release());
    ::unlink(temporary.c_str());
    throw_io("cannot write '" + path + "': " + what + ": " + reason);
  };
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t put = ::write(fd.get(), bytes.data() + written, bytes.size() - written);
    if (put < 0) {
      if (errno == EINTR) continue;
      fail("write failed");
    }
    written += static_cast<size_t>(put);
  }
  if (::fsync(fd.get()) != 0) fail("fsync failed");
  if (::close(fd.release()) != 0) {
    const std::string reason = errno_text();
    ::unlink(temporary.c_str());
    throw_io("cannot write '" + path + "': close failed: " + reason);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = errno_text();
    ::unlink(temporary.c_str());
    throw_io("cannot write '" + path + "': rename failed: " + reason);
  }
}

}  // namespace convt

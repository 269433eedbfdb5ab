// Whole-file reads and atomic writes. A write goes to a temporary file beside the destination (same directory,
// so the rename cannot cross file systems), is flushed to disk, and is renamed over the destination: a reader,
// a crash or a failed write never sees a half-written file, and an existing file survives any error.
#include <convt/error.h>
#include <convt/io.h>

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

}  // namespace

std::string read_file(const std::string& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw_io("cannot open '" + path + "': " + errno_text());
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) throw_io("cannot read '" + path + "': " + errno_text());
  if (S_ISDIR(info.st_mode)) throw_io("cannot read '" + path + "': it is a directory");
  std::string bytes;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw_io("cannot read '" + path + "': " + errno_text());
    }
    if (got == 0) break;
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

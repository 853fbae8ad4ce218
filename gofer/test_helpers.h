// Helpers shared by the gofer tests (header-only: every .cc under gofer/
// that is not a test goes into the library).
#pragma once

#include <fcntl.h>
#include <ftw.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "gofer/client.h"
#include "gofer/server.h"

namespace bulwark {

// gtest prints Errno values by name.
inline void PrintTo(Errno e, std::ostream* os) { *os << ErrnoName(e); }

}  // namespace bulwark

namespace bulwark::gofer::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/gofer_test.XXXXXX";
    char* made = mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    nftw(
        path_.c_str(),
        [](const char* p, const struct stat*, int, FTW*) { return ::remove(p); }, 16,
        FTW_DEPTH | FTW_PHYS);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

inline void WriteFile(const std::string& path, const std::string& contents, mode_t mode = 0644) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  ASSERT_TRUE(fd.valid()) << path;
  ASSERT_EQ(::write(fd.get(), contents.data(), contents.size()),
            static_cast<ssize_t>(contents.size()));
}

inline std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::pread(fd, buf, sizeof(buf), static_cast<off_t>(out.size()))) > 0) {
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

inline struct stat HostLstat(const std::string& path) {
  struct stat st{};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

// A Server on its own thread, serving one end of a socketpair; the other end
// is either wrapped in a Client or used raw.
class ServerThread {
 public:
  explicit ServerThread(std::vector<AttachPoint> attach_points, ServerOptions options = {}) {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    peer_.reset(sv[0]);
    server_ = std::make_unique<Server>(std::move(attach_points), UniqueFd(sv[1]), options);
    thread_ = std::thread([this] { result_ = server_->Serve(); });
  }
  ~ServerThread() { Stop(); }

  // The client end, for raw messages (owned by this object until TakePeer).
  int peer() const { return peer_.get(); }
  UniqueFd TakePeer() { return std::move(peer_); }

  // Closes the client end (if still owned) and waits for Serve to return.
  SysResult<void> Stop() {
    peer_.reset();
    if (thread_.joinable()) thread_.join();
    return result_;
  }
  // Waits for Serve to return without closing the client end.
  SysResult<void> Join() {
    if (thread_.joinable()) thread_.join();
    return result_;
  }
  bool Finished() const { return !thread_.joinable(); }

 private:
  UniqueFd peer_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  SysResult<void> result_;
};

// The error of `r`, or Errno 0 when it succeeded (so that a failed
// expectation prints instead of reading a missing error).
template <typename T>
Errno ErrOf(const SysResult<T>& r) {
  return r ? FromInt(0) : r.error();
}

inline AttachPoint MustAttachPoint(const std::string& path, bool read_only) {
  auto ap = OpenAttachPoint(path.c_str(), read_only);
  EXPECT_TRUE(ap.has_value()) << path;
  return ap ? std::move(*ap) : AttachPoint{};
}

}  // namespace bulwark::gofer::testing

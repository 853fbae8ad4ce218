// Helpers shared by the conformance tests: syscall matchers, RAII fixtures
// for fds, temporary directories, signal state and child processes.
//
// Every test binary links util/main.cc, which also dispatches the helper
// modes of the binary (argv[1] == "--child-NAME", see CONFORMANCE_CHILD_MODE).
#ifndef BULWARK_CONFORMANCE_UTIL_TEST_UTIL_H_
#define BULWARK_CONFORMANCE_UTIL_TEST_UTIL_H_

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace conformance {

// ---------------------------------------------------------------- matchers
//
// A syscall "fails" when it returns -1 (or MAP_FAILED for pointers); errno
// is read by the matcher, so the call must be the matched expression itself.

namespace internal {

template <typename T>
bool IsFailure(T v) {
  if constexpr (std::is_pointer_v<T>) {
    return reinterpret_cast<void*>(v) == MAP_FAILED;
  } else {
    return v == static_cast<T>(-1);
  }
}

template <typename T>
std::string Show(T v) {
  if constexpr (std::is_pointer_v<T>) {
    char buf[32];
    snprintf(buf, sizeof buf, "%p", reinterpret_cast<const void*>(v));
    return buf;
  } else {
    return std::to_string(static_cast<long long>(v));
  }
}

std::string ErrnoName(int e);

class SucceedsMatcher {
 public:
  SucceedsMatcher() = default;
  explicit SucceedsMatcher(long long want) : check_value_(true), want_(want) {}

  template <typename T>
  bool MatchAndExplain(T v, ::testing::MatchResultListener* l) const {
    int e = errno;
    if (IsFailure(v)) {
      *l << "which failed with " << ErrnoName(e);
      return false;
    }
    if (check_value_) {
      long long got;
      if constexpr (std::is_pointer_v<T>) {
        got = static_cast<long long>(reinterpret_cast<intptr_t>(v));
      } else {
        got = static_cast<long long>(v);
      }
      if (got != want_) {
        *l << "which succeeded with " << Show(v);
        return false;
      }
    }
    return true;
  }
  void DescribeTo(std::ostream* os) const {
    *os << "succeeds";
    if (check_value_) *os << " with value " << want_;
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "does not succeed";
    if (check_value_) *os << " with value " << want_;
  }

 private:
  bool check_value_ = false;
  long long want_ = 0;
};

class FailsMatcher {
 public:
  explicit FailsMatcher(int want_errno) : want_errno_(want_errno) {}

  template <typename T>
  bool MatchAndExplain(T v, ::testing::MatchResultListener* l) const {
    int e = errno;
    if (!IsFailure(v)) {
      *l << "which succeeded with " << Show(v);
      return false;
    }
    if (want_errno_ != 0 && e != want_errno_) {
      *l << "which failed with " << ErrnoName(e);
      return false;
    }
    return true;
  }
  void DescribeTo(std::ostream* os) const {
    *os << "fails";
    if (want_errno_ != 0) *os << " with " << ErrnoName(want_errno_);
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "does not fail";
    if (want_errno_ != 0) *os << " with " << ErrnoName(want_errno_);
  }

 private:
  int want_errno_;
};

}  // namespace internal

// The call returned something other than -1 / MAP_FAILED.
inline ::testing::PolymorphicMatcher<internal::SucceedsMatcher> SyscallSucceeds() {
  return ::testing::MakePolymorphicMatcher(internal::SucceedsMatcher());
}
// The call succeeded and returned exactly `v`.
inline ::testing::PolymorphicMatcher<internal::SucceedsMatcher> SyscallSucceedsWithValue(
    long long v) {
  return ::testing::MakePolymorphicMatcher(internal::SucceedsMatcher(v));
}
// The call returned -1 / MAP_FAILED with errno == e.
inline ::testing::PolymorphicMatcher<internal::FailsMatcher> SyscallFailsWithErrno(int e) {
  return ::testing::MakePolymorphicMatcher(internal::FailsMatcher(e));
}
// The call returned -1 / MAP_FAILED, whatever the errno.
inline ::testing::PolymorphicMatcher<internal::FailsMatcher> SyscallFails() {
  return ::testing::MakePolymorphicMatcher(internal::FailsMatcher(0));
}

// ---------------------------------------------------------------- fds

// Owns one fd; closes it once (never retrying on EINTR).
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& o) noexcept : fd_(o.release()) {}
  FileDescriptor& operator=(FileDescriptor&& o) noexcept {
    reset(o.release());
    return *this;
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// open(2) with ASSERT-style reporting: aborts the current test on failure.
// Use as: FileDescriptor fd = OpenOrDie(path, flags); ASSERT_TRUE(fd.valid());
FileDescriptor Open(const std::string& path, int flags, mode_t mode = 0644);

// Both ends of a pipe(2)/pipe2(2); index 0 reads, 1 writes.
struct Pipe {
  FileDescriptor r, w;
};
// Creates a pipe; on failure both ends are invalid.
Pipe MakePipe(int flags = 0);

// ---------------------------------------------------------------- files

// A fresh directory (mode 0755) under /tmp (or `parent`), removed recursively with all
// its contents when destroyed.
class TempDir {
 public:
  explicit TempDir(const std::string& parent = "/tmp");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Removes `path` and everything under it; errors are ignored.
void RemoveTree(const std::string& path);

// Creates (or truncates) `path` holding `content`. Returns false on error.
bool WriteFile(const std::string& path, const std::string& content, mode_t mode = 0644);
// Reads all of `path` into `out`. Returns false on error.
bool ReadFile(const std::string& path, std::string* out);
// Reads everything from `fd` until EOF.
std::string ReadAll(int fd);
// Writes all of `data` to fd, retrying partial writes. Returns false on error.
bool WriteAll(int fd, const void* data, size_t len);

// ---------------------------------------------------------------- processes

// Path of this test binary (absolute), as given to main.
const std::string& SelfPath();

// Forks; the child runs `fn` and exits 0 when it returns (use CHILD_CHECK
// inside it, never gtest assertions). The parent waits and returns the raw
// wait status, or -1 if fork failed.
int RunInChild(const std::function<void()>& fn);

// Waits for `pid` with a bounded number of retries; returns the raw wait
// status, or -1 on error.
int WaitStatus(pid_t pid);

// Waits (up to ~10 s) until process `pid` is asleep in the kernel (state S
// in /proc/PID/stat), i.e. blocked in a syscall. Returns false on timeout or
// if the state cannot be read (then it has waited 50 ms instead).
bool WaitUntilSleeping(pid_t pid);

// Forks a child that waits until `target` sleeps, sends it `sig` once, and
// exits. Returns the child's pid (reap it with WaitStatus) or -1.
pid_t SignalWhenBlocked(pid_t target, int sig);

// In a child: on failure prints the condition and line and _exit(1)s.
#define CHILD_CHECK(cond)                                                        \
  do {                                                                           \
    if (!(cond)) {                                                               \
      ::conformance::ChildFail(__FILE__, __LINE__, #cond);                       \
    }                                                                            \
  } while (0)
[[noreturn]] void ChildFail(const char* file, int line, const char* what);

// Matcher-friendly names for wait statuses.
inline bool ExitedWith(int status, int code) {
  return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}
inline bool KilledBy(int status, int sig) {
  return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == sig;
}
std::string DescribeWaitStatus(int status);

// Helper modes: `CONFORMANCE_CHILD_MODE(name) { ...; return code; }` defines
// a function run instead of the tests when argv[1] is "--child-name"; it
// gets argc/argv and its return value is the exit status.
using ChildModeFn = int (*)(int argc, char** argv);
bool RegisterChildMode(const char* name, ChildModeFn fn);
int RunChildMode(int argc, char** argv, bool* handled);

#define CONFORMANCE_CHILD_MODE(name)                                            \
  static int ChildMode_##name(int argc, char** argv);                           \
  [[maybe_unused]] static const bool child_mode_registered_##name =             \
      ::conformance::RegisterChildMode(#name, &ChildMode_##name);               \
  static int ChildMode_##name([[maybe_unused]] int argc, [[maybe_unused]] char** argv)

// ---------------------------------------------------------------- signals

// Installs a handler for `sig` and restores the previous action on scope exit.
class ScopedSigaction {
 public:
  ScopedSigaction(int sig, const struct sigaction& act);
  ScopedSigaction(int sig, void (*handler)(int), int flags = 0);
  ~ScopedSigaction();
  ScopedSigaction(const ScopedSigaction&) = delete;
  ScopedSigaction& operator=(const ScopedSigaction&) = delete;
  bool ok() const { return ok_; }

 private:
  int sig_;
  bool ok_ = false;
  struct sigaction old_ {};
};

// Changes the signal mask (how = SIG_BLOCK/SIG_UNBLOCK/SIG_SETMASK) and
// restores the previous mask on scope exit.
class ScopedSignalMask {
 public:
  ScopedSignalMask(int how, const sigset_t& set);
  ScopedSignalMask(int how, int sig);
  ~ScopedSignalMask();
  ScopedSignalMask(const ScopedSignalMask&) = delete;
  ScopedSignalMask& operator=(const ScopedSignalMask&) = delete;

 private:
  sigset_t old_;
};

// Sets umask for the scope.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t m) : old_(umask(m)) {}
  ~ScopedUmask() { umask(old_); }

 private:
  mode_t old_;
};

// Changes directory for the scope (restores the old cwd by fd).
class ScopedChdir {
 public:
  explicit ScopedChdir(const std::string& dir);
  ~ScopedChdir();
  bool ok() const { return ok_; }

 private:
  int old_fd_ = -1;
  bool ok_ = false;
};

// Page size of the running kernel.
size_t PageSize();

// Bounded wait helpers: wait up to `timeout_ms` for `sig` to become pending
// (it must be blocked). Returns the signal number or -1.
int WaitForSignal(int sig, int timeout_ms = 10000);

}  // namespace conformance

#endif  // BULWARK_CONFORMANCE_UTIL_TEST_UTIL_H_

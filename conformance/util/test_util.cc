#include "util/test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <map>

namespace conformance {

namespace internal {

std::string ErrnoName(int e) {
  const char* name = strerrorname_np(e);
  std::string s = name ? name : ("errno " + std::to_string(e));
  s += " (";
  s += strerror(e);
  s += ")";
  return s;
}

}  // namespace internal

FileDescriptor Open(const std::string& path, int flags, mode_t mode) {
  return FileDescriptor(open(path.c_str(), flags, mode));
}

Pipe MakePipe(int flags) {
  int fds[2];
  if (pipe2(fds, flags) != 0) return {};
  return {FileDescriptor(fds[0]), FileDescriptor(fds[1])};
}

TempDir::TempDir(const std::string& parent) {
  std::string tmpl = parent + "/conformance.XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp(" << tmpl << "): " << internal::ErrnoName(errno);
    path_ = parent;  // Keep tests from writing to "".
    return;
  }
  path_ = buf.data();
  // Searchable by the unprivileged users that permission tests switch to.
  chmod(path_.c_str(), 0755);
}

TempDir::~TempDir() {
  if (path_.find("/conformance.") != std::string::npos) RemoveTree(path_);
}

namespace {

void RemoveAt(int parent, const char* name) {
  if (unlinkat(parent, name, 0) == 0) return;
  if (errno != EISDIR && errno != EPERM) return;
  // A directory: make sure we may list and modify it, empty it, remove it.
  fchmodat(parent, name, 0700, 0);
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    close(fd);
    return;
  }
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    names.push_back(e->d_name);
  }
  for (const auto& n : names) RemoveAt(dirfd(d), n.c_str());
  closedir(d);
  unlinkat(parent, name, AT_REMOVEDIR);
}

}  // namespace

void RemoveTree(const std::string& path) { RemoveAt(AT_FDCWD, path.c_str()); }

bool WriteFile(const std::string& path, const std::string& content, mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  bool ok = WriteAll(fd, content.data(), content.size());
  return close(fd) == 0 && ok;
}

bool ReadFile(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  *out = ReadAll(fd);
  close(fd);
  return true;
}

std::string ReadAll(int fd) {
  std::string s;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    s.append(buf, n);
  }
  return s;
}

bool WriteAll(int fd, const void* data, size_t len) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= n;
  }
  return true;
}

namespace {
std::string& SelfPathStorage() {
  static std::string s;
  return s;
}
std::map<std::string, ChildModeFn>& ChildModes() {
  static std::map<std::string, ChildModeFn> m;
  return m;
}
}  // namespace

const std::string& SelfPath() { return SelfPathStorage(); }

void SetSelfPath(const char* argv0) {
  std::string p = argv0;
  if (!p.empty() && p[0] != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) != nullptr) p = std::string(cwd) + "/" + p;
  }
  SelfPathStorage() = p;
}

bool RegisterChildMode(const char* name, ChildModeFn fn) {
  ChildModes()[name] = fn;
  return true;
}

int RunChildMode(int argc, char** argv, bool* handled) {
  *handled = false;
  if (argc < 2 || strncmp(argv[1], "--child-", 8) != 0) return 0;
  auto it = ChildModes().find(argv[1] + 8);
  if (it == ChildModes().end()) {
    fprintf(stderr, "unknown child mode %s\n", argv[1]);
    *handled = true;
    return 127;
  }
  *handled = true;
  return it->second(argc, argv);
}

void ChildFail(const char* file, int line, const char* what) {
  int e = errno;
  char buf[512];
  int n = snprintf(buf, sizeof buf, "%s:%d: child check failed: %s (errno %d %s)\n", file,
                   line, what, e, strerrorname_np(e) ? strerrorname_np(e) : "?");
  if (n > 0) {
    ssize_t ignored = write(2, buf, n);
    (void)ignored;
  }
  _exit(1);
}

int WaitStatus(pid_t pid) {
  int status;
  for (;;) {
    pid_t r = waitpid(pid, &status, __WALL);
    if (r == pid) return status;
    if (r < 0 && errno == EINTR) continue;
    return -1;
  }
}

int RunInChild(const std::function<void()>& fn) {
  fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    fn();
    _exit(0);
  }
  return WaitStatus(pid);
}

bool WaitUntilSleeping(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  for (int i = 0; i < 10000; i++) {
    std::string stat;
    if (!ReadFile(path, &stat)) {
      usleep(50000);
      return false;
    }
    // "pid (comm) S ...": the state follows the last ')'.
    size_t close = stat.rfind(')');
    if (close != std::string::npos && close + 2 < stat.size()) {
      char state = stat[close + 2];
      if (state == 'S') return true;
      if (state == 'Z' || state == 'X') return false;  // It will never block again.
    }
    usleep(1000);
  }
  return false;
}

pid_t SignalWhenBlocked(pid_t target, int sig) {
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    WaitUntilSleeping(target);
    kill(target, sig);
    _exit(0);
  }
  return pid;
}

std::string DescribeWaitStatus(int status) {
  if (status == -1) return "wait failed";
  if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  if (WIFSTOPPED(status)) return "stopped by signal " + std::to_string(WSTOPSIG(status));
  return "status " + std::to_string(status);
}

ScopedSigaction::ScopedSigaction(int sig, const struct sigaction& act) : sig_(sig) {
  ok_ = sigaction(sig, &act, &old_) == 0;
}

ScopedSigaction::ScopedSigaction(int sig, void (*handler)(int), int flags) : sig_(sig) {
  struct sigaction act {};
  act.sa_handler = handler;
  act.sa_flags = flags;
  sigemptyset(&act.sa_mask);
  ok_ = sigaction(sig, &act, &old_) == 0;
}

ScopedSigaction::~ScopedSigaction() {
  if (ok_) sigaction(sig_, &old_, nullptr);
}

ScopedSignalMask::ScopedSignalMask(int how, const sigset_t& set) {
  sigprocmask(how, &set, &old_);
}

ScopedSignalMask::ScopedSignalMask(int how, int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(how, &set, &old_);
}

ScopedSignalMask::~ScopedSignalMask() { sigprocmask(SIG_SETMASK, &old_, nullptr); }

ScopedChdir::ScopedChdir(const std::string& dir) {
  old_fd_ = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ok_ = old_fd_ >= 0 && chdir(dir.c_str()) == 0;
}

ScopedChdir::~ScopedChdir() {
  if (old_fd_ >= 0) {
    int r = fchdir(old_fd_);
    (void)r;
    close(old_fd_);
  }
}

size_t PageSize() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }

int WaitForSignal(int sig, int timeout_ms) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
  for (;;) {
    int r = sigtimedwait(&set, nullptr, &ts);
    if (r < 0 && errno == EINTR) continue;
    return r;
  }
}

}  // namespace conformance

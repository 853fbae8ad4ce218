#include "runtime/process.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/close_range.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace bulwark::runtime {
namespace {

// What the child reports on its error pipe when it cannot exec.
struct ChildFailure {
  int step;  // index into kSteps
  int err;
};
constexpr const char* kSteps[] = {"set signal mask", "setsid", "set parent death signal",
                                  "move fds", "close fds", "exec", "join cgroup"};

[[noreturn]] void ChildFail(int pipe_fd, int step) {
  ChildFailure f{step, errno};
  // SAFETY: a plain struct written to a pipe; nothing to do if it fails.
  [[maybe_unused]] ssize_t n = ::write(pipe_fd, &f, sizeof(f));
  ::_exit(127);
}

// Runs in the child between clone and exec: async-signal-safe calls only,
// no allocation. Everything it needs was prepared by the parent.
[[noreturn]] void ChildMain(const SpawnOptions& o, char* const* argv, char* const* envp,
                            int err_pipe, pid_t parent) {
  // Dispositions the runtime inherited (SIG_IGN from nohup or a shell's
  // background job) must not leak into the sandbox: start from defaults.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);  // EINVAL for glibc's own: fine
  }
  if (o.sigmask && ::sigprocmask(SIG_SETMASK, &*o.sigmask, nullptr) != 0) ChildFail(err_pipe, 0);
  if (o.new_session && ::setsid() < 0) ChildFail(err_pipe, 1);
  for (int fd : o.cgroup_procs_fds) {
    if (::write(fd, "0", 1) != 1) ChildFail(err_pipe, 6);
  }
  if (o.parent_death_signal != 0) {
    if (::prctl(PR_SET_PDEATHSIG, o.parent_death_signal) != 0) ChildFail(err_pipe, 2);
    // The parent may have died before prctl. In a new pid namespace the
    // parent is invisible (getppid() == 0) and the check cannot be made.
    if ((o.namespaces & CLONE_NEWPID) == 0 && ::getppid() != parent) ::_exit(127);
  }
  int high = 3;
  for (auto& [from, to] : o.fds) high = std::max(high, to + 1);
  // Move the sources (and the error pipe and exe fd) above every target
  // first, so that no dup2 clobbers one that is still needed, then put each
  // in its place.
  int err_fd = ::fcntl(err_pipe, F_DUPFD_CLOEXEC, high);
  if (err_fd < 0) ChildFail(err_pipe, 3);
  err_pipe = err_fd;
  int exe_fd = ::fcntl(o.exe_fd, F_DUPFD_CLOEXEC, high);
  if (exe_fd < 0) ChildFail(err_pipe, 3);
  int moved[64];
  size_t count = std::min<size_t>(o.fds.size(), 64);
  for (size_t i = 0; i < count; ++i) {
    moved[i] = ::fcntl(o.fds[i].first, F_DUPFD_CLOEXEC, high);
    if (moved[i] < 0) ChildFail(err_pipe, 3);
  }
  for (size_t i = 0; i < count; ++i) {
    if (::dup2(moved[i], o.fds[i].second) < 0) ChildFail(err_pipe, 3);
  }
  // Everything from 3 up closes at exec, except the targets.
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) ChildFail(err_pipe, 4);
  for (size_t i = 0; i < count; ++i) {
    if (o.fds[i].second >= 3 && ::fcntl(o.fds[i].second, F_SETFD, 0) != 0) ChildFail(err_pipe, 4);
  }
  // SAFETY: raw syscall; argv and envp are NULL-terminated arrays prepared
  // by the parent.
  ::syscall(SYS_execveat, exe_fd, "", argv, envp, AT_EMPTY_PATH);
  ChildFail(err_pipe, 5);
}

}  // namespace

Result<Child> Spawn(const SpawnOptions& o) {
  if (o.fds.size() > 64) return MakeError("spawn: too many fds", EINVAL);
  std::vector<char*> argv;
  for (const std::string& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : o.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  std::string what = "start " + (o.argv.size() > 1 ? "bulwark " + o.argv[1] : std::string("child"));

  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return HostError(what + ": pipe");
  UniqueFd err_r(pipefd[0]), err_w(pipefd[1]);

  pid_t parent = ::getpid();
  int pidfd = -1;
  // SAFETY: raw clone without CLONE_VM behaves like fork(); the child only
  // runs ChildMain, which is async-signal-safe. x86-64 argument order:
  // flags, stack, parent_tid (receives the pidfd), child_tid, tls.
  long pid = ::syscall(SYS_clone, o.namespaces | CLONE_PIDFD | SIGCHLD, nullptr, &pidfd, nullptr,
                       nullptr);
  if (pid < 0) return HostError(what + ": clone");
  if (pid == 0) ChildMain(o, argv.data(), envp.data(), err_w.get(), parent);

  Child child{static_cast<pid_t>(pid), UniqueFd(pidfd)};
  err_w.reset();
  ChildFailure failure{};
  ssize_t n;
  do {
    n = ::read(err_r.get(), &failure, sizeof(failure));
  } while (n < 0 && errno == EINTR);
  if (n == 0) return child;  // exec closed the pipe
  (void)ReapChild(child, /*block=*/true);
  if (n != sizeof(failure)) return MakeError(what + ": child failed before exec");
  int step = std::clamp(failure.step, 0, 6);
  return MakeError(what + ": " + kSteps[step] + ": " + strerror(failure.err), failure.err);
}

Result<void> SignalChild(const Child& child, int sig) {
  if (child.pid < 0 || !child.pidfd) return {};
  if (::syscall(SYS_pidfd_send_signal, child.pidfd.get(), sig, nullptr, 0) != 0 && errno != ESRCH) {
    return HostError("signal " + std::to_string(child.pid));
  }
  return {};
}

Result<std::optional<int>> ReapChild(Child& child, bool block) {
  if (child.pid < 0) return std::nullopt;
  siginfo_t info{};
  for (;;) {
    int r = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(child.pidfd.get()), &info,
                     WEXITED | (block ? 0 : WNOHANG));
    if (r == 0) break;
    if (errno == EINTR) continue;
    return HostError("wait for " + std::to_string(child.pid));
  }
  if (info.si_pid == 0) return std::nullopt;  // WNOHANG, still running
  int status;
  if (info.si_code == CLD_EXITED) {
    status = (info.si_status & 0xff) << 8;
  } else {
    status = (info.si_status & 0x7f) | (info.si_code == CLD_DUMPED ? 0x80 : 0);
  }
  child.pid = -1;
  child.pidfd.reset();
  return status;
}

int ExitCodeFromWaitStatus(int status) {
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 1;
}

std::vector<std::string> ChildEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "BULWARK_", 8) == 0) env.emplace_back(*e);
  }
  return env;
}

}  // namespace bulwark::runtime

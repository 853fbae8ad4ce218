// Starting and reaping the runtime's child processes (the gofer and the
// sentry), with pidfds so that signals and waits can never hit a recycled
// pid.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace bulwark::runtime {

struct SpawnOptions {
  // Executed with execveat(exe_fd, "", ..., AT_EMPTY_PATH); argv[0] is only
  // what `ps` shows.
  int exe_fd = -1;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  // {parent fd, child fd}: the child gets exactly these fds (without
  // FD_CLOEXEC) plus its inherited 0-2; every other fd is closed at exec.
  std::vector<std::pair<int, int>> fds;
  // CLONE_NEW* flags for the child.
  unsigned long namespaces = 0;
  bool new_session = false;
  // Signal the child gets when the runtime dies (0: none).
  int parent_death_signal = 0;
  // The child's signal mask (default: the caller's).
  std::optional<sigset_t> sigmask;
  // Open cgroup.procs files: the child writes "0" to each (joining those
  // cgroups) before it execs, so everything it later forks starts inside.
  std::vector<int> cgroup_procs_fds;
};

// A started child; pid is -1 once it has been reaped.
struct Child {
  pid_t pid = -1;
  UniqueFd pidfd;

  Child() = default;
  Child(pid_t p, UniqueFd fd) : pid(p), pidfd(std::move(fd)) {}
  Child(Child&& other) noexcept
      : pid(std::exchange(other.pid, -1)), pidfd(std::move(other.pidfd)) {}
  Child& operator=(Child&& other) noexcept {
    pid = std::exchange(other.pid, -1);
    pidfd = std::move(other.pidfd);
    return *this;
  }
};

// clone + exec. Returns once the child has exec'd, or with the reason
// (`exec bulwark gofer: ...`) after reaping it when it could not.
Result<Child> Spawn(const SpawnOptions& options);

// Sends a signal through a pidfd. ESRCH (already exited) is not an error.
Result<void> SignalChild(const Child& child, int sig);

// Reaps `child` if it has exited (or, with block, once it has). Returns its
// wait status (as waitpid reports it) or nothing if it is still running.
Result<std::optional<int>> ReapChild(Child& child, bool block);

// 128+N for death by signal N, else the exit code (`run`'s convention).
int ExitCodeFromWaitStatus(int status);

// The environment children get: only the runtime's BULWARK_* variables, so
// nothing from the caller's environment (LD_PRELOAD, ...) reaches the
// sandbox processes by accident.
std::vector<std::string> ChildEnvironment();

}  // namespace bulwark::runtime

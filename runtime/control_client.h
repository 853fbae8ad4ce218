// The runtime's side of the control channel to a running sentry
// (protocol: sentry/control/protocol.h). Every call connects to
// `<state_dir>/control.sock`, sends one request and reads its reply(ies).
//
// For LC1 / runtime commands:
//  * A sentry that is gone shows up as an Error whose errnum is
//    ECONNREFUSED, ENOENT (socket file missing), ECONNRESET or EPIPE (the
//    connection was closed without a reply): IsNotRunning(err) is true and
//    the container should be reported "stopped".
//  * Other errors carry the sentry's message ("signal 99: invalid signal",
//    "exec: \"/x\": stat /x: no such file or directory" ...), suitable for
//    printing as is.
//  * None of these calls print anything.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace bulwark::runtime::control {

// The control socket's path inside a container's state directory.
std::string SocketPath(const std::string& state_dir);

// True when `e` means "the sentry is not (or no longer) there".
bool IsNotRunning(const Error& e);

// Waits until the sentry has finished booting: the sandbox is set up and
// init is created and loaded, but does not run (`bulwark boot
// --control-fd`). Returns the boot error (runc's wording for a missing
// executable, e.g. `exec: "/x": stat /x: no such file or directory`) when
// boot failed; in that case the sentry exits with status 1 right after.
// Call it right after spawning the sentry, before `create` returns.
Result<void> Ready(const std::string& state_dir);

// Lets init run. Fails ("already started") on a second call.
Result<void> Start(const std::string& state_dir);

// Sends `sig` from outside the sandbox (so init gets it even without a
// handler, like runc's kill from the parent pid namespace).
//   pid == 0, all == false: init's process.
//   pid > 0: that sandbox pid (ESRCH-like error "no such process").
//   all: every process in the sandbox (pid ignored).
// Before Start, a signal whose default action is not "ignore" makes init
// die of it without running any application code (like runc killing a
// created container); ignored-by-default signals are dropped.
Result<void> Signal(const std::string& state_dir, int sig, bool all = false, pid_t pid = 0);

struct ProcessInfo {
  pid_t pid = 0;   // sandbox pid
  pid_t ppid = 0;  // 0 for init and for exec'd processes (like runc's exec)
  uint32_t uid = 0;
  std::string state;  // "R", "S", "T", "Z" (as /proc/<pid>/stat)
  std::string comm;
  std::vector<std::string> cmdline;
};
// Every process in the sandbox, sorted by pid.
Result<std::vector<ProcessInfo>> Ps(const std::string& state_dir);

// Every task stops / continues (cgroup-freezer-like: tasks in application
// code are interrupted and park; blocked tasks stay blocked and do not
// return to the application until Resume; new tasks start paused).
// Both are idempotent.
Result<void> Pause(const std::string& state_dir);
Result<void> Resume(const std::string& state_dir);

// Sandbox-wide statistics (the inputs for `events --stats`).
struct Stats {
  uint64_t pids_current = 0;       // live processes
  uint64_t pids_limit = 0;         // from update/linux.resources; 0 = none
  uint64_t memory_usage = 0;       // bytes of application memory in use
  uint64_t cpu_usage_total = 0;    // ns, user + system, live and exited tasks
  uint64_t cpu_usage_user = 0;     // ns
  uint64_t cpu_usage_kernel = 0;   // ns
  bool paused = false;
};
Result<Stats> GetStats(const std::string& state_dir);

// Stores linux.resources (an OCI LinuxResources JSON object, as text) in
// the sentry. Only pids.limit is used by the sentry, and so far only for
// Exec (refused at the limit); fork/clone inside the sandbox do not check
// it yet. Memory/cpu limits are the runtime's cgroup job.
Result<void> Update(const std::string& state_dir, const std::string& resources_json);

// How an exec'd process gets its stdio.
struct ExecStdio {
  // tty >= 0: the process gets this one fd (a host pty replica) as stdin,
  // stdout and stderr, and it becomes its controlling terminal (the process
  // is a session leader). Otherwise the three fds below (all must be open).
  int tty = -1;
  int stdin_fd = 0, stdout_fd = 1, stderr_fd = 2;
  // Become the process's fds 3, 4, ... (exec --preserve-fds).
  std::vector<int> preserved;
};

// A process started by Exec. Keep it alive for as long as you want the exit
// status: the status is reported on its connection. Dropping it does not
// kill the process (like runc: an exec'd process outlives `runc exec`).
class ExecSession {
 public:
  ExecSession() = default;
  ExecSession(ExecSession&&) = default;
  ExecSession& operator=(ExecSession&&) = default;

  // Sandbox pid of the new process.
  pid_t pid() const { return pid_; }
  // The connection, readable when the exit report arrives (or the sentry
  // dies): poll it together with a signalfd to forward signals.
  int fd() const { return conn_.get(); }
  // Blocks until the process exits; returns its wait status (as wait(2):
  // use ExitCode() for a shell-style exit code). An Error with
  // IsNotRunning() true if the sandbox went away first.
  Result<int> Wait();
  // Forwards a signal to the process (a new connection; `Signal(dir, sig,
  // false, pid())`).
  Result<void> Kill(int sig) const;

 private:
  friend Result<ExecSession> Exec(const std::string&, const std::string&, const ExecStdio&);
  std::string state_dir_;
  pid_t pid_ = 0;
  UniqueFd conn_;
};

// Starts a process in the running sandbox. `process_json` is an OCI
// `process` object (as in config.json or `exec --process FILE`: args, env,
// cwd, user, capabilities, rlimits, noNewPrivileges, terminal, ...). The
// fds in `stdio` are duplicated into the sandbox; the caller may close its
// copies afterwards. Errors: bad JSON naming the field ("process.args: must
// not be empty"), runc's wording for a missing executable, "container not
// started" before Start.
Result<ExecSession> Exec(const std::string& state_dir, const std::string& process_json,
                         const ExecStdio& stdio);

// 0-255 from a wait status: the exit code, or 128+N for death by signal N.
int ExitCode(int wait_status);

}  // namespace bulwark::runtime::control

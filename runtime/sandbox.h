// A sandbox on the host: the gofer and the sentry processes of one
// container, started by re-executing this binary (`bulwark gofer`,
// `bulwark boot`).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "runtime/bundle.h"
#include "runtime/flags.h"
#include "runtime/process.h"
#include "runtime/signals.h"

namespace bulwark::runtime {

struct SandboxOptions {
  std::string rootfs;                     // absolute host path
  bool root_readonly = false;             // spec root.readonly
  std::vector<GoferMount> gofer_mounts;   // oci::GoferMounts order
  std::string config_json;                // bytes for the sentry's --spec-fd
  std::string platform = "ptrace";
  bool strace = false;
  OverlayMode overlay = OverlayMode::kTmpfs;
  // --network: "none" (the sentry gets a new, empty network namespace; the
  // sandbox has only its own loopback) or "host" (the sentry's host
  // sockets live in `netns`).
  std::string network = "none";
  // With "host", the config's `network` namespace entry: nullopt for none
  // (the runtime's own namespace), "" for a new one (only lo, as runc),
  // else the path of one to join.
  std::optional<std::string> netns;
  UniqueFd debug_log;                     // passed as --debug-log-fd if valid
  // Foreground (`run`): both processes get SIGKILL if the runtime dies.
  bool die_with_runtime = true;
  // Signal mask for the children (the runtime blocks the signals it
  // forwards; the sandbox must not inherit that).
  std::optional<sigset_t> child_sigmask;
  // The listening control socket (`bulwark boot --control-fd`): with it,
  // init is loaded but waits for the control "start" request.
  int control_fd = -1;
  // The sentry's fds 0-2 (the container's stdio); -1: the runtime's own.
  int stdio[3] = {-1, -1, -1};
  // --preserve-fds: the runtime's fds 3..3+N-1 become init's fds 3...
  int preserve_fds = 0;
  // cgroup directories both processes join before they exec.
  std::vector<std::string> cgroup_dirs;
};

// The sentry's and gofer's command lines (after argv[0]), exposed for tests.
std::vector<std::string> GoferArgs(const SandboxOptions& options);
std::vector<std::string> SentryArgs(const SandboxOptions& options, bool debug_log);

class Sandbox : public ForwardTarget {
 public:
  // Starts the gofer, then the sentry in new pid, mount, ipc, uts and
  // (unless host networking says otherwise) net namespaces. On failure
  // nothing is left running.
  static Result<Sandbox> Start(SandboxOptions options);

  Sandbox(Sandbox&&) = default;
  Sandbox& operator=(Sandbox&&) = default;
  ~Sandbox() override { Destroy(std::chrono::milliseconds(0)); }

  // The sentry's host pid (what `state` reports and the pid file holds).
  pid_t pid() const override { return sentry_pid_; }
  pid_t gofer_pid() const { return gofer_pid_; }

  Result<void> Signal(int sig) override;
  // Reaps whichever child has exited; returns the sentry's wait status once
  // it has exited.
  std::optional<int> Poll() override;
  // Blocks until the sentry exits; returns its wait status.
  int Wait() override;
  // Forgets both children without killing them: after `create` returns,
  // they belong to the caller (reparented to its subreaper).
  void Release();
  // Makes sure nothing is left: SIGKILLs the sentry if it still runs, gives
  // the gofer `gofer_grace` to exit on its own (it does on EOF of its
  // socket), then SIGKILLs it; reaps both.
  void Destroy(std::chrono::milliseconds gofer_grace);

 private:
  Sandbox() = default;

  Child sentry_;
  Child gofer_;
  pid_t sentry_pid_ = -1;
  pid_t gofer_pid_ = -1;
  std::optional<int> sentry_status_;
};

}  // namespace bulwark::runtime

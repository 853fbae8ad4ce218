// Pieces of the sentry's start-up (boot.cc), split by concern.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "oci/spec.h"
#include "sentry/kernel/kernel.h"

namespace bulwark::gofer {
class Client;
}
namespace bulwark::fsimpl::host {
class Notifier;
}

namespace bulwark::sentry {

struct BootOptions {
  int spec_fd = -1;
  int gofer_fd = -1;
  int debug_log_fd = -1;
  std::string platform = "ptrace";
  std::string overlay = "tmpfs";  // tmpfs | none
  // --network=none|host: the sandbox's own loopback, or host sockets made
  // in the sentry's network namespace (fsimpl/socket/host_inet_socket.h).
  std::string network = "none";
  bool strace = false;
  // --seccomp=enforce|log|off (sentry/seccomp_policy.h); empty: the default.
  std::string seccomp;
  // --control-fd: the listening control socket (sentry/control/protocol.h).
  // With it, init is created and loaded but runs only on "start".
  int control_fd = -1;
  // --preserve-fds=N: host fds kPreservedFdBase.. become init's fds 3..3+N-1.
  int preserve_fds = 0;
};

// Where the runtime puts the --preserve-fds fds in the sentry.
inline constexpr int kPreservedFdBase = 10;

// Facts about the host read before confinement (the sentry cannot open host
// paths afterwards).
struct HostInfo {
  std::string cpuinfo;
  uint64_t total_memory = 0;
};

// Builds the sandbox's mount tree: the root (overlay or gofer), the spec's
// mounts in order, and /dev and /proc defaults.
Result<void> SetUpMounts(kernel::Kernel& k, const oci::Spec& spec, const BootOptions& opts,
                         const HostInfo& host, std::shared_ptr<fsimpl::host::Notifier> notifier);

// Host fds that become a new process's stdio.
struct ProcessStdio {
  // fds[i] becomes fd i; an invalid fd leaves i closed.
  std::array<UniqueFd, 3> fds;
  // fds[0] is a terminal to install at 0, 1 and 2 (one description) and to
  // make the controlling terminal of the process's session (process.terminal).
  bool terminal = false;
  // With `terminal`: the sandbox pty outlives its replicas being closed
  // (init's console); an exec'd process's console ends with them.
  bool keep_console = false;
  // extra[i] becomes fd 3+i (runc's --preserve-fds).
  std::vector<UniqueFd> extra;
};

// A new process, not started and not registered with the kernel: its own
// session and process group, credentials, capabilities, rlimits (the
// sentry's own as defaults), umask, no_new_privs, stdio, cwd (created if
// missing, like runc), and args[0] looked up in the process's PATH and
// loaded. Errors are user-facing, with runc's wording for a missing or
// non-executable program. Precondition: kernel lock held.
Result<std::unique_ptr<kernel::Task>> CreateProcess(kernel::Kernel& k, const oci::Process& p,
                                                    ProcessStdio stdio,
                                                    std::shared_ptr<fsimpl::host::Notifier> notifier);

// Creates init (pid 1) from spec.process with the sentry's fds 0-2 as its
// stdio (one terminal when process.terminal and fd 0 is a tty) and the
// sentry's fds kPreservedFdBase.. as its fds 3..3+preserve_fds-1, registers
// it as the kernel's init, and returns its task unstarted (hand it to
// Kernel::StartTask). Precondition: kernel lock held.
Result<std::unique_ptr<kernel::Task>> CreateInit(kernel::Kernel& k, const oci::Spec& spec,
                                                 std::shared_ptr<fsimpl::host::Notifier> notifier,
                                                 int preserve_fds);

}  // namespace bulwark::sentry

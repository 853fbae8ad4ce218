// Pieces of the sentry's start-up (boot.cc), split by concern.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
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
  bool strace = false;
};

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

// Creates init (pid 1) from spec.process with the sentry's fds 0-2 as its
// stdio, loads its program, and starts it. Errors are user-facing.
Result<void> StartInit(kernel::Kernel& k, const oci::Spec& spec,
                       std::shared_ptr<fsimpl::host::Notifier> notifier);

}  // namespace bulwark::sentry

// The sentry's host syscall allow-list (issue 7).
//
// Installed by BootMain after pivot_root, the capability drop and
// no_new_privs, before any further thread starts and before any application
// instruction runs; every later thread and every stub process (forked by
// the ptrace platform's factory thread) inherits it. Stubs run under this
// filter *and* their own (platform/ptrace/stub_seccomp.h), so the table also
// lists what a stub's start-up and the syscalls injected into stubs need.
#pragma once

#include <string>

#include "base/seccomp.h"

namespace bulwark::sentry {

struct SentryPolicyOptions {
  // --network=host: the sentry makes and operates host AF_INET/AF_INET6
  // TCP and UDP sockets. Without it the sentry opens no socket.
  bool host_network = false;
};

seccomp::Policy SentryPolicy(const SentryPolicyOptions& opts = {});

// The mode from `--seccomp=MODE` if given (non-empty), else from the
// environment variable BULWARK_SECCOMP (passed through by the runtime like
// every BULWARK_* variable), else enforce.
Result<seccomp::Mode> SentrySeccompMode(const std::string& flag);

}  // namespace bulwark::sentry

// Signal forwarding for foreground containers (`run`).
#pragma once

#include <signal.h>

#include <span>

#include <sys/types.h>

#include <optional>

#include <string_view>

#include "base/result.h"

namespace bulwark::runtime {

// `kill`'s signal argument, as runc takes it: a number ("9"), or a name with
// or without the SIG prefix, in any case ("KILL", "SIGKILL", "sigterm"),
// including "RTMIN+N"/"RTMAX-N". Error: `invalid signal "X"`.
Result<int> ParseSignal(std::string_view text);

// What signals are forwarded to: the sandbox (its sentry), or in tests any
// child process.
class ForwardTarget {
 public:
  virtual ~ForwardTarget() = default;
  virtual pid_t pid() const = 0;
  virtual Result<void> Signal(int sig) = 0;
  // The target's wait status once it has exited (reaping it), else nothing.
  virtual std::optional<int> Poll() = 0;
  // Blocks until the target exits; returns its wait status.
  virtual int Wait() = 0;
};

// The signals `run` passes on to the sentry, which delivers them to the
// container's init.
std::span<const int> ForwardedSignals();

// Blocks the forwarded signals and SIGCHLD from construction (before any
// child exists, so none is lost or kills the runtime half-way through
// setup) until destruction, when the old mask comes back.
class SignalForwarder {
 public:
  SignalForwarder();
  ~SignalForwarder();
  SignalForwarder(const SignalForwarder&) = delete;
  SignalForwarder& operator=(const SignalForwarder&) = delete;

  // The mask the runtime had before; children must start with it.
  const sigset_t& original_mask() const { return old_mask_; }

  // Forwards signals to the target until it exits; returns its wait status.
  int ForwardUntilExit(ForwardTarget& target);

 private:
  sigset_t set_;
  sigset_t old_mask_;
};

}  // namespace bulwark::runtime

#include "runtime/signals.h"

#include <unistd.h>

#include <cerrno>

#include "base/log.h"

namespace bulwark::runtime {
namespace {

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

// Signals a terminal sends to its whole foreground process group.
bool IsTerminalSignal(int sig) { return sig == SIGINT || sig == SIGQUIT || sig == SIGWINCH; }

}  // namespace

std::span<const int> ForwardedSignals() { return kForwarded; }

SignalForwarder::SignalForwarder() {
  sigemptyset(&set_);
  for (int sig : kForwarded) sigaddset(&set_, sig);
  sigaddset(&set_, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set_, &old_mask_);
}

SignalForwarder::~SignalForwarder() { sigprocmask(SIG_SETMASK, &old_mask_, nullptr); }

int SignalForwarder::ForwardUntilExit(ForwardTarget& sandbox) {
  // The sentry stays in the runtime's process group (it may read a terminal
  // on stdin), so a signal that a terminal sent to that group (si_code
  // SI_KERNEL) already reached it: forwarding it would deliver it twice.
  bool shares_group = ::getpgid(sandbox.pid()) == ::getpgrp();
  for (;;) {
    if (auto status = sandbox.Poll()) return *status;
    siginfo_t info;
    int sig = sigwaitinfo(&set_, &info);
    if (sig < 0) {
      if (errno == EINTR) continue;
      LOG_WARN("sigwaitinfo: errno %d; waiting for the sentry without forwarding", errno);
      return sandbox.Wait();
    }
    if (sig == SIGCHLD) continue;
    if (shares_group && info.si_code == SI_KERNEL && IsTerminalSignal(sig)) continue;
    LOG_DEBUG("forwarding signal %d to the sentry", sig);
    (void)sandbox.Signal(sig);
  }
}

}  // namespace bulwark::runtime

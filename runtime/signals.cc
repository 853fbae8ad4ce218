#include "runtime/signals.h"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <string>

#include "base/log.h"

namespace bulwark::runtime {
namespace {

constexpr std::pair<std::string_view, int> kSignalNames[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},     {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},   {"IOT", SIGIOT},     {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL},   {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CLD", SIGCHLD},    {"CONT", SIGCONT},
    {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},
    {"URG", SIGURG},       {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF},     {"WINCH", SIGWINCH}, {"IO", SIGIO},       {"POLL", SIGPOLL},
    {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

std::optional<int> ParseInt(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

// Signals a terminal sends to its whole foreground process group.
bool IsTerminalSignal(int sig) { return sig == SIGINT || sig == SIGQUIT || sig == SIGWINCH; }

}  // namespace

std::span<const int> ForwardedSignals() { return kForwarded; }

Result<int> ParseSignal(std::string_view text) {
  auto invalid = [&] { return MakeError("invalid signal \"" + std::string(text) + "\"", EINVAL); };
  if (auto n = ParseInt(text)) {
    if (*n <= 0 || *n >= NSIG) return invalid();
    return *n;
  }
  std::string name;
  for (char c : text) name.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (name.starts_with("SIG")) name.erase(0, 3);
  for (auto& [n, sig] : kSignalNames) {
    if (name == n) return sig;
  }
  int rtmin = SIGRTMIN, rtmax = SIGRTMAX;
  if (name == "RTMIN") return rtmin;
  if (name == "RTMAX") return rtmax;
  if (name.starts_with("RTMIN+")) {
    auto n = ParseInt(std::string_view(name).substr(6));
    if (n && *n >= 0 && rtmin + *n <= rtmax) return rtmin + *n;
  }
  if (name.starts_with("RTMAX-")) {
    auto n = ParseInt(std::string_view(name).substr(6));
    if (n && *n >= 0 && rtmax - *n >= rtmin) return rtmax - *n;
  }
  return invalid();
}

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

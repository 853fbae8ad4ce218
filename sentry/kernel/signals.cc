#include "sentry/kernel/signals.h"

#include <algorithm>

namespace bulwark::kernel {

bool PendingSignals::Enqueue(const siginfo_t& info) {
  int sig = info.si_signo;
  if (sig < SIGRTMIN && (set & SigBit(sig))) return false;  // standard signals coalesce
  set |= SigBit(sig);
  queue.push_back(info);
  return true;
}

bool PendingSignals::Dequeue(SigSet allowed, siginfo_t* out) {
  SigSet ready = set & allowed;
  if (ready == 0) return false;
  int sig = __builtin_ctzll(ready) + 1;
  auto it = std::find_if(queue.begin(), queue.end(),
                         [sig](const siginfo_t& i) { return i.si_signo == sig; });
  *out = *it;
  queue.erase(it);
  bool more = std::any_of(queue.begin(), queue.end(),
                          [sig](const siginfo_t& i) { return i.si_signo == sig; });
  if (!more) set &= ~SigBit(sig);
  return true;
}

void PendingSignals::Discard(int sig) {
  set &= ~SigBit(sig);
  std::erase_if(queue, [sig](const siginfo_t& i) { return i.si_signo == sig; });
}

// signal(7), "Standard signals".
DefaultAction DefaultActionOf(int sig) {
  switch (sig) {
    case SIGCHLD: case SIGURG: case SIGWINCH:
      return DefaultAction::kIgnore;
    case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
      return DefaultAction::kStop;
    case SIGCONT:
      return DefaultAction::kContinue;
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE:
    case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
      return DefaultAction::kCore;
    default:
      return DefaultAction::kTerm;  // includes the real-time signals
  }
}

}  // namespace bulwark::kernel

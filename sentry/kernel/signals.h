// Signal data structures (signal(7)).
#pragma once

#include <signal.h>

#include <array>
#include <cstdint>
#include <deque>

namespace bulwark::kernel {

constexpr int kNumSignals = 64;

// Signal set as the kernel's 64-bit mask: bit (sig-1).
using SigSet = uint64_t;
constexpr SigSet SigBit(int sig) { return SigSet{1} << (sig - 1); }
constexpr SigSet kUnblockable = SigBit(SIGKILL) | SigBit(SIGSTOP);

// struct sigaction as the kernel ABI has it (rt_sigaction's layout).
struct KSigAction {
  uint64_t handler = 0;  // SIG_DFL (0), SIG_IGN (1), or an address
  uint64_t flags = 0;
  uint64_t restorer = 0;
  SigSet mask = 0;
};
static_assert(sizeof(KSigAction) == 32);

struct SignalHandlers {
  std::array<KSigAction, kNumSignals + 1> actions{};  // index = signal number

  // Handled signals revert to SIG_DFL, ignored ones stay ignored
  // (flush_signal_handlers(): execve, clone3's CLONE_CLEAR_SIGHAND).
  void Flush() {
    for (auto& act : actions)
      act = act.handler == 1 /* SIG_IGN */ ? KSigAction{.handler = 1} : KSigAction{};
  }
};

// Pending signals: standard signals coalesce, real-time signals queue.
struct PendingSignals {
  SigSet set = 0;
  std::deque<siginfo_t> queue;

  // Adds info; false if a standard signal was already pending.
  bool Enqueue(const siginfo_t& info);
  // Removes the lowest-numbered pending signal in `allowed`.
  bool Dequeue(SigSet allowed, siginfo_t* out);
  void Discard(int sig);
};

enum class DefaultAction { kTerm, kIgnore, kCore, kStop, kContinue };
DefaultAction DefaultActionOf(int sig);

}  // namespace bulwark::kernel

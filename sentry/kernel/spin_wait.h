// Bounded spinning before sleeping, for hand-offs between sentry threads.
//
// Why: each task's sentry thread is pinned to one CPU (platform/ptrace), so
// waking a task blocked on another CPU wakes that CPU. On the VMs this runs
// on an idle vCPU halts, and waking it costs ~30-40 µs (an IPI through the
// hypervisor), several times a ptrace round trip. A task that polls for its
// wake-up for a short while, and a thread that retries a contended kernel
// lock instead of sleeping on it, turn those hand-offs into cache-line
// transfers. Only a task whose thread has a CPU of its own spins
// (platform::Context::OwnsCpu): a partner pinned to the same CPU could not
// run meanwhile (single-CPU runs got 3-4x slower when every task spun).
// The spin does not call sched_yield: under load a yielding
// spinner lost the CPU for a whole slice of a CPU-bound neighbour (ms
// stalls), while a thread woken on the spinner's CPU (e.g. a stub after
// its tracer's PTRACE_SYSEMU) preempts it anyway. Costs: a blocked task
// burns up to kBlockSpinNs of CPU per wait until its waits prove long (the
// budget then decays, see Task::Block); a contended lock up to kLockSpinNs.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

namespace bulwark::kernel {

// How long a blocking task polls for its wake-up before sleeping (adapted
// per task, see Task::Block), and how long a thread retries a contended
// kernel lock. Both exceed a ptrace round trip plus a syscall's work, the
// typical time until a partner task answers or releases the lock.
inline constexpr int64_t kBlockSpinNs = 100'000;
inline constexpr int64_t kLockSpinNs = 50'000;

// Polls `word` until it differs from `seen` or MonotonicNs() reaches
// `until_ns`. Returns whether it changed.
bool SpinUntilChanged(const std::atomic<uint32_t>& word, uint32_t seen, int64_t until_ns);

// Locks `lock`'s mutex, retrying try_lock for up to `spin_ns` before
// blocking on it. Precondition: `lock` does not own its mutex.
void LockSpinning(std::unique_lock<std::mutex>& lock, int64_t spin_ns);

}  // namespace bulwark::kernel

// Micro-measurements, printed and not asserted (compare with
// /work/shared/design/platform-probes.md: ~8 µs same CPU, ~40 µs across).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>
#include <sys/mman.h>

#include "platform/ptrace/ptrace_test_util.h"
#include "platform/ptrace/stub_process.h"

namespace bulwark::platform::ptrace_impl::testing {
namespace {

constexpr int kIterations = 20000;
constexpr int kChunks = 5;  // the minimum over chunks shows the cost without load spikes

enum class Mode { kPlain, kGetFp, kSetFp, kMapFile };

struct Timing {
  double mean_ns = 0;       // over all kIterations
  double best_chunk_ns = 0;  // best of kChunks chunks of kIterations / kChunks
};

// Runs kIterations getpid round trips (Switch + set rax) and returns ns each.
Timing MeasureGetpid(Platform& platform, Mode mode) {
  Timing timing;
  auto as = platform.NewAddressSpace();
  EXPECT_TRUE(as.has_value());
  if (!as) return timing;
  MapPages(**as);
  auto ctx = platform.NewContext();
  Registers regs = RegsAt(kGetpidLoop);
  FpState fp;
  fp.Reset();
  using Clock = std::chrono::steady_clock;
  std::chrono::duration<double, std::nano> total{0};
  timing.best_chunk_ns = 1e30;
  for (int chunk = 0; chunk < kChunks; chunk++) {
    auto start = Clock::now();
    for (int i = 0; i < kIterations / kChunks; i++) {
      if (ctx->Switch(**as, regs).kind != Event::Kind::kSyscall) {
        ADD_FAILURE() << "iteration " << i;
        return timing;
      }
      regs.regs.rax = 1;
      if (mode == Mode::kGetFp) {
        EXPECT_TRUE(ctx->GetFpState(fp));
      }
      if (mode == Mode::kSetFp) {
        EXPECT_TRUE(ctx->SetFpState(fp));
      }
      if (mode == Mode::kMapFile) {
        EXPECT_TRUE((*as)->MapFile(kDataAddr, 4096, 0x1000, PROT_READ | PROT_WRITE));
      }
    }
    std::chrono::duration<double, std::nano> elapsed = Clock::now() - start;
    total += elapsed;
    timing.best_chunk_ns = std::min(timing.best_chunk_ns, elapsed.count() / (kIterations / kChunks));
  }
  timing.mean_ns = total.count() / kIterations;
  return timing;
}

void Report(const char* what, Platform& platform, Mode mode) {
  Timing t;
  // On a fresh thread: pinning is per thread and permanent.
  std::thread thread([&] { t = MeasureGetpid(platform, mode); });
  thread.join();
  std::printf("  %-38s %8.0f ns (best chunk %6.0f ns)\n", what, t.mean_ns, t.best_chunk_ns);
}

TEST(PtraceBench, GetpidRoundTrip) {
  UniqueFd memfd = MakeMemoryFile();
  auto pinned = MakePlatform(memfd.get());
  ASSERT_NE(pinned, nullptr);
  setenv("BULWARK_PTRACE_NOPIN", "1", 1);
  auto unpinned = MakePlatform(memfd.get());
  unsetenv("BULWARK_PTRACE_NOPIN");
  ASSERT_NE(unpinned, nullptr);

  std::printf("ptrace getpid round trip (Switch + set rax), %d iterations:\n", kIterations);
  Report("pinned (tracer and stub on one CPU):", *pinned, Mode::kPlain);
  Report("pinned + GetFpState per syscall:", *pinned, Mode::kGetFp);
  Report("pinned + SetFpState per syscall:", *pinned, Mode::kSetFp);
  Report("pinned + one MapFile per syscall:", *pinned, Mode::kMapFile);
  Report("BULWARK_PTRACE_NOPIN=1:", *unpinned, Mode::kPlain);
}

// Creating an address space: NewAddressSpace + one MapFile (the first
// tracing use) + destruction, on a fresh thread.
TEST(PtraceBench, AddressSpaceLifecycle) {
  UniqueFd memfd = MakeMemoryFile();
  auto platform = MakePlatform(memfd.get());
  ASSERT_NE(platform, nullptr);
  constexpr int kRounds = 50;
  double best = 1e30, total = 0;
  std::thread thread([&] {
    for (int i = 0; i < kRounds; i++) {
      auto start = std::chrono::steady_clock::now();
      auto as = platform->NewAddressSpace();
      ASSERT_TRUE(as.has_value());
      ASSERT_TRUE((*as)->MapFile(kCodeAddr, 4096, 0, PROT_READ | PROT_EXEC));
      as->reset();
      std::chrono::duration<double, std::micro> us = std::chrono::steady_clock::now() - start;
      best = std::min(best, us.count());
      total += us.count();
    }
  });
  thread.join();
  std::printf("address space create + MapFile + destroy: %8.0f us (best %6.0f us)\n",
              total / kRounds, best);
}

// A new application thread in an existing address space: claiming a stub
// thread when none is parked (the leader spawns one: claim leader, inject
// clone, park leader, claim the new thread), and claiming a parked one.
TEST(PtraceBench, ThreadClaim) {
  UniqueFd memfd = MakeMemoryFile();
  auto platform = MakePlatform(memfd.get());
  ASSERT_NE(platform, nullptr);
  auto as = platform->NewAddressSpace();
  ASSERT_TRUE(as.has_value());
  MapPages(**as);  // this thread holds the first stub thread
  // SAFETY: the ptrace platform creates only PtraceAddressSpaces.
  StubProcess& proc = *static_cast<PtraceAddressSpace&>(**as).process();
  constexpr int kThreads = 20;
  auto measure = [&](const char* what) {
    std::vector<double> us(kThreads);
    std::vector<std::unique_ptr<std::thread>> threads;
    std::mutex mu;
    std::condition_variable cv;
    bool release = false;
    for (int i = 0; i < kThreads; i++) {
      std::atomic<bool> measured{false};
      // Each thread keeps its stub thread until all are measured.
      threads.push_back(std::make_unique<std::thread>([&, i] {
        auto start = std::chrono::steady_clock::now();
        auto t = proc.ThreadForCaller();
        std::chrono::duration<double, std::micro> d = std::chrono::steady_clock::now() - start;
        EXPECT_TRUE(t.has_value());
        us[i] = d.count();
        measured = true;
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return release; });
      }));
      while (!measured) std::this_thread::yield();
    }
    {
      std::lock_guard lock(mu);
      release = true;
    }
    cv.notify_all();
    for (auto& t : threads) t->join();  // thread exit parks its stub thread
    std::sort(us.begin(), us.end());
    std::printf("  %-38s median %6.0f us, min %6.0f us\n", what, us[kThreads / 2], us[0]);
  };
  std::printf("stub thread for a new sentry thread, %d threads:\n", kThreads);
  measure("spawn + claim (none parked):");
  measure("claim a parked one:");
  EXPECT_EQ(ThreadCount(proc.pid()), kThreads + 2);
}

}  // namespace
}  // namespace bulwark::platform::ptrace_impl::testing

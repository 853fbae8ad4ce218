// Micro-measurements, printed and not asserted (compare with
// /work/shared/design/platform-probes.md: ~8 µs same CPU, ~40 µs across).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "platform/ptrace/ptrace_test_util.h"

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

}  // namespace
}  // namespace bulwark::platform::ptrace_impl::testing

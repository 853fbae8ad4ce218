// Several sentry threads running in one address space: each has its own
// context and stub thread in the same stub process.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "platform/ptrace/ptrace_test_util.h"

namespace bulwark::platform::ptrace_impl::testing {
namespace {

using Kind = Event::Kind;
using namespace std::chrono_literals;

// A sentry-like thread: runs posted closures in order on its own host
// thread, so that contexts and claims stay on one thread across steps.
class Worker {
 public:
  Worker() : thread_([this] { Loop(); }) {}
  ~Worker() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  template <class F>
  auto Post(F f) -> std::future<decltype(f())> {
    auto task = std::make_shared<std::packaged_task<decltype(f())()>>(std::move(f));
    auto future = task->get_future();
    {
      std::lock_guard lock(mu_);
      queue_.push_back([task] { (*task)(); });
    }
    cv_.notify_all();
    return future;
  }

  template <class F>
  auto Run(F f) {
    return Post(std::move(f)).get();
  }

 private:
  void Loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::thread thread_;  // last: started once the rest is initialized
};

class PtraceThreadsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    memfd_ = MakeMemoryFile();
    platform_ = MakePlatform(memfd_.get());
    ASSERT_NE(platform_, nullptr);
    auto as = platform_->NewAddressSpace();
    ASSERT_TRUE(as.has_value()) << ErrnoName(as.error());
    as_ = std::move(*as);
    pid_ = StubPid(*as_);
  }

  void TearDown() override {
    as_.reset();
    ExpectNoChildrenSoon();
  }

  // Makes a context on `w` (kept in `ctx`, used and destroyed only there).
  void NewContextOn(Worker& w, std::unique_ptr<Context>& ctx) {
    w.Run([&] { ctx = platform_->NewContext(); });
  }
  void DestroyContextOn(Worker& w, std::unique_ptr<Context>& ctx) {
    w.Run([&] { ctx.reset(); });
  }

  UniqueFd memfd_;
  std::unique_ptr<Platform> platform_;
  std::unique_ptr<AddressSpace> as_;
  pid_t pid_ = 0;
};

uint32_t StoredAt(int memfd, uint64_t data_offset) {
  uint32_t v = 0;
  EXPECT_EQ(pread(memfd, &v, 4, 0x1000 + data_offset), 4);
  return v;
}

TEST_F(PtraceThreadsTest, TwoThreadsRunConcurrentlyInOneAddressSpace) {
  Worker a, b;
  std::unique_ptr<Context> ca, cb;
  NewContextOn(a, ca);
  NewContextOn(b, cb);
  // Each thread maps one page: mappings are per process, not per thread.
  a.Run([&] { ASSERT_TRUE(as_->MapFile(kCodeAddr, 4096, 0, PROT_READ | PROT_EXEC)); });
  b.Run([&] { ASSERT_TRUE(as_->MapFile(kDataAddr, 4096, 0x1000, PROT_READ | PROT_WRITE)); });
  pid_t ta = a.Run([&] { return CallerStubTid(*as_); });
  pid_t tb = b.Run([&] { return CallerStubTid(*as_); });
  EXPECT_NE(ta, 0);
  EXPECT_NE(tb, 0);
  EXPECT_NE(ta, tb);
  EXPECT_NE(ta, pid_);  // the leader runs no application code
  EXPECT_NE(tb, pid_);
  EXPECT_EQ(ThreadCount(pid_), 3);  // leader + two application threads

  auto loop = [&](Context& ctx, uint64_t slot, uint32_t seed) {
    for (uint32_t i = 0; i < 2000; i++) {
      Registers regs = RegsAt(kStoreThenSyscall);
      regs.regs.rbx = kDataAddr + 8 * slot;
      regs.regs.rax = seed + i;
      Event ev = ctx.Switch(*as_, regs);
      if (ev.kind != Kind::kSyscall) return false;
      // Our own registers, not the other thread's.
      if (regs.regs.orig_rax != seed + i || regs.regs.rbx != kDataAddr + 8 * slot) return false;
    }
    return true;
  };
  auto fa = a.Post([&] { return loop(*ca, 0, 100000); });
  auto fb = b.Post([&] { return loop(*cb, 1, 900000); });
  EXPECT_TRUE(fa.get());
  EXPECT_TRUE(fb.get());
  EXPECT_EQ(StoredAt(memfd_.get(), 0), 100000u + 1999);
  EXPECT_EQ(StoredAt(memfd_.get(), 8), 900000u + 1999);

  DestroyContextOn(a, ca);
  DestroyContextOn(b, cb);
}

TEST_F(PtraceThreadsTest, WritesAndMappingChangesAreSharedBetweenThreads) {
  Worker a, b;
  std::unique_ptr<Context> ca, cb;
  NewContextOn(a, ca);
  NewContextOn(b, cb);
  a.Run([&] { MapPages(*as_); });
  // a stores; b, which mapped nothing, loads the value.
  a.Run([&] {
    Registers regs = RegsAt(kStoreThenSyscall);
    regs.regs.rbx = kDataAddr + 16;
    regs.regs.rax = 0x5eed;
    ASSERT_EQ(ca->Switch(*as_, regs).kind, Kind::kSyscall);
  });
  b.Run([&] {
    Registers regs = RegsAt(kLoadThenSyscall);
    regs.regs.rbx = kDataAddr + 16;
    ASSERT_EQ(cb->Switch(*as_, regs).kind, Kind::kSyscall);
    EXPECT_EQ(regs.regs.orig_rax, 0x5eedu);
  });
  // a unmaps; b faults.
  a.Run([&] { ASSERT_TRUE(as_->Unmap(kDataAddr, 4096)); });
  b.Run([&] {
    Registers regs = RegsAt(kLoadThenSyscall);
    regs.regs.rbx = kDataAddr + 16;
    Event ev = cb->Switch(*as_, regs);
    ASSERT_EQ(ev.kind, Kind::kFault);
    EXPECT_EQ(ev.fault_addr, kDataAddr + 16);
    EXPECT_EQ(ev.info.si_code, SEGV_MAPERR);
  });
  // b maps it back read-only; a's store faults.
  b.Run([&] { ASSERT_TRUE(as_->MapFile(kDataAddr, 4096, 0x1000, PROT_READ)); });
  a.Run([&] {
    Registers regs = RegsAt(kStoreThenSyscall);
    regs.regs.rbx = kDataAddr;
    Event ev = ca->Switch(*as_, regs);
    ASSERT_EQ(ev.kind, Kind::kFault);
    EXPECT_EQ(ev.info.si_code, SEGV_ACCERR);
  });
  DestroyContextOn(a, ca);
  DestroyContextOn(b, cb);
}

TEST_F(PtraceThreadsTest, InterruptHitsTheRightThread) {
  MapPages(*as_);
  Worker a, b;
  std::unique_ptr<Context> ca, cb;
  NewContextOn(a, ca);
  NewContextOn(b, cb);
  auto spin = [&](Context& ctx) {
    Registers regs = RegsAt(kSpin);
    return ctx.Switch(*as_, regs).kind;
  };
  auto fa = a.Post([&] { return spin(*ca); });
  auto fb = b.Post([&] { return spin(*cb); });
  std::this_thread::sleep_for(50ms);
  ca->Interrupt();
  ASSERT_EQ(fa.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(fa.get(), Kind::kInterrupted);
  // b spins on.
  EXPECT_EQ(fb.wait_for(100ms), std::future_status::timeout);
  cb->Interrupt();
  ASSERT_EQ(fb.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(fb.get(), Kind::kInterrupted);
  DestroyContextOn(a, ca);
  DestroyContextOn(b, cb);
}

TEST_F(PtraceThreadsTest, ContextDestroyedWhileAnotherRuns) {
  MapPages(*as_);
  Worker a;
  std::unique_ptr<Context> ca;
  NewContextOn(a, ca);
  std::atomic<bool> stop{false};
  auto fa = a.Post([&] {
    Registers regs = RegsAt(kGetpidLoop);
    int n = 0;
    while (!stop) {
      if (ca->Switch(*as_, regs).kind != Kind::kSyscall) return -1;
      n++;
    }
    return n;
  });
  pid_t parked = 0;
  {
    Worker b;
    std::unique_ptr<Context> cb;
    NewContextOn(b, cb);
    b.Run([&] {
      Registers regs = RegsAt(kGetpidLoop);
      for (int i = 0; i < 100; i++) ASSERT_EQ(cb->Switch(*as_, regs).kind, Kind::kSyscall);
      parked = CallerStubTid(*as_);
    });
    DestroyContextOn(b, cb);
    EXPECT_EQ(b.Run([] { return HeldCount(); }), 0u);  // parked
  }  // b's host thread exits
  int threads = ThreadCount(pid_);
  EXPECT_GE(threads, 3);
  // A fresh thread claims the parked stub thread instead of spawning one.
  {
    Worker c;
    std::unique_ptr<Context> cc;
    NewContextOn(c, cc);
    c.Run([&] {
      Registers regs = RegsAt(kGetpidThenExit);
      ASSERT_EQ(cc->Switch(*as_, regs).kind, Kind::kSyscall);
      EXPECT_EQ(regs.regs.orig_rax, 39u);
      EXPECT_EQ(CallerStubTid(*as_), parked);
    });
    EXPECT_EQ(ThreadCount(pid_), threads);
    DestroyContextOn(c, cc);
  }
  stop = true;
  EXPECT_GT(fa.get(), 0);  // a ran all along
  DestroyContextOn(a, ca);
}

// OwnsCpu: true only while no other context is pinned to the context's CPU
// and pinning uses more than one CPU.
TEST_F(PtraceThreadsTest, OwnsCpuOnlyWhileNoOtherContextSharesTheCpu) {
  Worker a, b, c;
  std::unique_ptr<Context> ca, cb, cc;
  NewContextOn(a, ca);
  NewContextOn(b, cb);
  int cpu_a = a.Run([] { return PinnedCpu(); });
  int cpu_b = b.Run([] { return PinnedCpu(); });
  if (cpu_a < 0 || cpu_a == cpu_b) {
    // Not pinned (BULWARK_PTRACE_NOPIN) or one CPU: never.
    EXPECT_FALSE(ca->OwnsCpu());
    EXPECT_FALSE(cb->OwnsCpu());
  } else {
    // Round-robin: consecutive contexts get different CPUs.
    EXPECT_TRUE(ca->OwnsCpu());
    EXPECT_TRUE(cb->OwnsCpu());
    NewContextOn(c, cc);
    int cpu_c = c.Run([] { return PinnedCpu(); });
    EXPECT_EQ(ca->OwnsCpu(), cpu_c != cpu_a);
    EXPECT_EQ(cb->OwnsCpu(), cpu_c != cpu_b);
    EXPECT_EQ(cc->OwnsCpu(), cpu_c != cpu_a && cpu_c != cpu_b);
    DestroyContextOn(c, cc);
    EXPECT_TRUE(ca->OwnsCpu());
    EXPECT_TRUE(cb->OwnsCpu());
  }
  DestroyContextOn(a, ca);
  DestroyContextOn(b, cb);
}

TEST_F(PtraceThreadsTest, ThreadExitWithoutContextParks) {
  {
    Worker w;
    w.Run([&] { MapPages(*as_); });  // claims a stub thread, no context
    EXPECT_EQ(w.Run([] { return HeldCount(); }), 1u);
  }  // exits holding it: the registry parks it (else EXITKILL kills the stub)
  auto ctx = platform_->NewContext();
  Registers regs = RegsAt(kGetpidLoop);
  EXPECT_EQ(ctx->Switch(*as_, regs).kind, Kind::kSyscall);
  EXPECT_EQ(ThreadCount(pid_), 2);  // reused, not spawned
}

TEST_F(PtraceThreadsTest, KilledAddressSpaceWhileAnotherThreadIsBound) {
  MapPages(*as_);
  Worker b;
  std::unique_ptr<Context> cb;
  NewContextOn(b, cb);
  b.Run([&] {
    Registers regs = RegsAt(kGetpidLoop);
    ASSERT_EQ(cb->Switch(*as_, regs).kind, Kind::kSyscall);
  });
  // What ~PtraceAddressSpace does, from this thread, while b's stub thread
  // sits in a ptrace stop traced by b: must not wait for b.
  // SAFETY: the ptrace platform creates only PtraceAddressSpaces.
  auto start = std::chrono::steady_clock::now();
  static_cast<PtraceAddressSpace&>(*as_).process()->Kill();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  b.Run([&] {
    Registers regs = RegsAt(kGetpidLoop);
    EXPECT_EQ(cb->Switch(*as_, regs).kind, Kind::kDied);
    FpState fp;
    EXPECT_EQ(cb->GetFpState(fp).error(), Errno::kESRCH);
    EXPECT_EQ(as_->MapFile(kCodeAddr, 4096, 0, PROT_READ).error(), Errno::kESRCH);
  });
  DestroyContextOn(b, cb);  // must not hang
}

TEST_F(PtraceThreadsTest, AddressSpaceDestroyedWhileAnotherThreadRuns) {
  MapPages(*as_);
  Worker b;
  std::unique_ptr<Context> cb;
  NewContextOn(b, cb);
  // `as` is destroyed during b's Switch; the kernel never does that to a
  // running task, but Switch must not touch the address space object after
  // it started the application.
  AddressSpace* as = as_.get();
  auto fb = b.Post([&] {
    Registers regs = RegsAt(kSpin);
    return cb->Switch(*as, regs).kind;
  });
  std::this_thread::sleep_for(30ms);
  as_.reset();
  ASSERT_EQ(fb.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(fb.get(), Kind::kDied);
  // b goes on in a new address space.
  b.Run([&] {
    auto as2 = platform_->NewAddressSpace();
    ASSERT_TRUE(as2.has_value());
    MapPages(**as2);
    Registers regs = RegsAt(kGetpidLoop);
    EXPECT_EQ(cb->Switch(**as2, regs).kind, Kind::kSyscall);
    cb.reset();  // as Kernel task exit: context, then address space
  });
}

TEST_F(PtraceThreadsTest, ExternallyKilledStubWithTwoBoundThreads) {
  MapPages(*as_);
  Worker a, b;
  std::unique_ptr<Context> ca, cb;
  NewContextOn(a, ca);
  NewContextOn(b, cb);
  b.Run([&] {
    Registers regs = RegsAt(kGetpidLoop);
    ASSERT_EQ(cb->Switch(*as_, regs).kind, Kind::kSyscall);
  });
  auto fa = a.Post([&] {
    Registers regs = RegsAt(kSpin);
    return ca->Switch(*as_, regs).kind;
  });
  std::this_thread::sleep_for(30ms);
  ASSERT_EQ(kill(pid_, SIGKILL), 0);
  ASSERT_EQ(fa.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(fa.get(), Kind::kDied);
  b.Run([&] {
    Registers regs = RegsAt(kGetpidLoop);
    EXPECT_EQ(cb->Switch(*as_, regs).kind, Kind::kDied);
  });
  DestroyContextOn(a, ca);
  DestroyContextOn(b, cb);
}

TEST_F(PtraceThreadsTest, SecondContextOnOneThreadIsRefused) {
  MapPages(*as_);
  auto ctx = platform_->NewContext();
  Registers regs = RegsAt(kGetpidLoop);
  EXPECT_EQ(ctx->Switch(*as_, regs).kind, Kind::kSyscall);
  auto second = platform_->NewContext();
  EXPECT_EQ(second->Switch(*as_, regs).kind, Kind::kDied);
  EXPECT_EQ(ctx->Switch(*as_, regs).kind, Kind::kSyscall);
}

}  // namespace
}  // namespace bulwark::platform::ptrace_impl::testing

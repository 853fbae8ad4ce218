// The ptrace platform: registration, CPU pinning, capabilities.
//
// Overview (files in this directory):
//   stub_amd64.S, stub.cc  the stub code page, mapped once at or above
//                          kMaxUserAddress (injection, park and clone entry
//                          points); ForkStub: a raw fork that leaves a traced
//                          stub with only that page and the memory file (as
//                          fd 3); per-thread tracing steps (seize, interrupt,
//                          inject, park).
//   vdso.cc                the host's vDSO, moved by every new stub to a
//                          fixed place above the stub page (AT_SYSINFO_EHDR).
//   factory.cc             the stub factory thread: forks every stub (so its
//                          PDEATHSIG parent never exits) and reaps dead ones.
//   stub_process.cc        one stub process per address space, its threads,
//                          and which sentry thread traces which (claim, spawn,
//                          park, kill); the per-thread registry.
//   address_space.cc       MapFile, Unmap and Protect inject mmap/munmap/
//                          mprotect at the stub page's `syscall; int3`, in the
//                          calling sentry thread's stub thread.
//   context.cc             Switch: PTRACE_SETREGS (when changed), PTRACE_SYSEMU,
//                          waitpid; events from the stop; Interrupt via SIGUSR2
//                          through a thread pidfd; FP state fetched and set
//                          lazily.
// ptrace ties a tracee to one tracer thread: every application thread runs
// in its own stub thread, traced by its task's sentry thread.
#include <sched.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/log.h"
#include "platform/platform.h"
#include "platform/ptrace/address_space.h"
#include "platform/ptrace/context.h"
#include "platform/ptrace/ptrace_sys.h"
#include "platform/ptrace/stub.h"

namespace bulwark::platform::ptrace_impl {
namespace {

// Every ptrace stop is a wake-up of the other side; across CPUs that costs
// ~40 µs on the target hosts instead of ~8 µs (platform-probes.md). So each
// task thread is pinned to one CPU, chosen round-robin, before it creates its
// context or address space, and each stub thread it claims is pinned to the
// same CPU (StubProcess::Pin): tracer/stub pairs share a CPU, and the pairs
// of different application threads are spread over the allowed CPUs.
std::atomic<unsigned> next_cpu{0};
thread_local bool thread_pinned = false;
thread_local int pinned_cpu = -1;
// Contexts per pinned CPU (AddCpuUser), and how many CPUs pinning uses.
std::atomic<int> cpu_users[CPU_SETSIZE];
std::atomic<size_t> pin_cpus{0};

std::vector<int> AllowedCpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

uint32_t MxcsrMask() {
  alignas(16) uint8_t area[512] = {};
  // SAFETY: fxsave64 stores exactly 512 bytes at a 16-byte aligned address.
  asm volatile("fxsave64 %0" : "=m"(area));
  uint32_t mask;
  std::memcpy(&mask, area + 28, sizeof(mask));
  return mask != 0 ? mask : 0xffbf;  // 0 means the default (Intel SDM 11.6.6)
}

class PtracePlatform final : public Platform {
 public:
  PtracePlatform(int memory_file_fd, StubPage page, std::vector<int> cpus)
      : memory_file_fd_(memory_file_fd), page_(page), cpus_(std::move(cpus)),
        mxcsr_mask_(MxcsrMask()) {}

  const char* Name() const override { return "ptrace"; }

  Capabilities Caps() const override {
    Capabilities caps;
    caps.max_user_address = kMaxUserAddress;
    caps.vdso_base = page_.vdso.ehdr;
    caps.special_mappings = std::span<const SpecialMapping>(page_.vdso.parts, page_.vdso.count);
    return caps;
  }

  SysResult<std::unique_ptr<AddressSpace>> NewAddressSpace() override {
    PinCurrentThread();
    return TRY(PtraceAddressSpace::Create(page_, memory_file_fd_));
  }

  std::unique_ptr<Context> NewContext() override {
    PinCurrentThread();
    return std::make_unique<PtraceContext>(mxcsr_mask_);
  }

 private:
  void PinCurrentThread() {
    if (thread_pinned || cpus_.empty()) return;
    thread_pinned = true;
    int cpu = cpus_[next_cpu.fetch_add(1) % cpus_.size()];
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
      LOG_WARN("ptrace: pinning thread %d to CPU %d: %s", CurrentTid(), cpu, strerror(errno));
      return;
    }
    pinned_cpu = cpu;
  }

  const int memory_file_fd_;  // not owned
  const StubPage page_;
  const std::vector<int> cpus_;  // empty: do not pin
  const uint32_t mxcsr_mask_;
};

Result<std::unique_ptr<Platform>> NewPtracePlatform(int memory_file_fd) {
  auto page = GetStubPage();
  if (!page) {
    return MakeError(std::string("ptrace: cannot map the stub page: ") + ErrnoName(page.error()),
                     ToInt(page.error()));
  }
  // Probe: can this host fork, trace and strip a stub? (On this thread, not
  // the factory's: the factory thread must start after the sentry dropped
  // its privileges, see factory.h.)
  auto probe = ForkStub(*page, memory_file_fd);
  if (!probe) {
    return MakeError(std::string("ptrace: cannot start a traced stub process (seccomp, "
                                 "missing CAP_SYS_PTRACE or an LSM?): ") +
                         ErrnoName(probe.error()),
                     ToInt(probe.error()));
  }
  KillAndReap(probe->pidfd.get());
  std::vector<int> cpus;
  const char* nopin = std::getenv("BULWARK_PTRACE_NOPIN");
  if (nopin == nullptr || std::strcmp(nopin, "1") != 0) cpus = AllowedCpus();
  pin_cpus = cpus.size();
  return std::make_unique<PtracePlatform>(memory_file_fd, *page, std::move(cpus));
}

}  // namespace

int PinnedCpu() { return pinned_cpu; }

void AddCpuUser(int cpu, int delta) {
  if (cpu >= 0 && cpu < CPU_SETSIZE) cpu_users[cpu].fetch_add(delta, std::memory_order_relaxed);
}

bool CpuExclusive(int cpu) {
  return pin_cpus.load(std::memory_order_relaxed) > 1 && cpu >= 0 && cpu < CPU_SETSIZE &&
         cpu_users[cpu].load(std::memory_order_relaxed) == 1;
}

BULWARK_REGISTER_PLATFORM(ptrace, NewPtracePlatform);

}  // namespace bulwark::platform::ptrace_impl

#include "platform/ptrace/address_space.h"

#include <elf.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

#include "base/log.h"
#include "platform/ptrace/ptrace_sys.h"

namespace bulwark::platform::ptrace_impl {
namespace {

std::atomic<uint64_t> next_address_space_id{1};

bool PageAligned(uint64_t v) { return (v & (kPageSize - 1)) == 0; }

// [addr, addr+len) must be a non-empty page-aligned range below
// kMaxUserAddress: the stub page above it must never be touched.
bool ValidRange(uint64_t addr, uint64_t len) {
  return PageAligned(addr) && PageAligned(len) && len != 0 && addr < kMaxUserAddress &&
         len <= kMaxUserAddress - addr;
}

bool ValidProt(int prot) { return (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) == 0; }

}  // namespace

pid_t CurrentTid() {
  static thread_local const pid_t tid = static_cast<pid_t>(::gettid());
  return tid;
}

PtraceAddressSpace::PtraceAddressSpace(const StubPage& page, Stub stub)
    : page_(page), pid_(stub.pid), id_(next_address_space_id.fetch_add(1)) {
  auto main = std::make_shared<StubThread>();
  main->tid = stub.pid;
  main->tracer_tid = CurrentTid();
  // A process pidfd: signals sent through it reach the only thread.
  // Per-thread stubs will need pidfd_open(tid, PIDFD_THREAD) (Linux 6.9).
  main->pidfd = std::move(stub.pidfd);
  threads_.push_back(std::move(main));
}

SysResult<std::unique_ptr<PtraceAddressSpace>> PtraceAddressSpace::Create(const StubPage& page,
                                                                         int memory_file_fd) {
  Stub stub = TRY(ForkStub(page, memory_file_fd));
  pid_t pid = stub.pid;
  // From here the destructor kills and reaps the stub on every error path.
  std::unique_ptr<PtraceAddressSpace> as(new PtraceAddressSpace(page, std::move(stub)));
  TRY(PtraceGetRegs(pid, as->inject_regs_));
  TRY(as->ResetExtendedState(pid));
  return as;
}

PtraceAddressSpace::~PtraceAddressSpace() {
  if (!threads_[0]->dead.exchange(true)) KillAndReap(threads_[0]->pidfd.get());
  for (auto& t : threads_) t->dead = true;
}

// The stub was forked from a sentry thread and inherited its FPU, SSE, AVX
// and other XSAVE state, which may hold sentry data. Put every component in
// its initial state (FpState::Reset for the legacy area).
SysResult<void> PtraceAddressSpace::ResetExtendedState(pid_t tid) {
  FpState fresh;
  fresh.Reset();
  std::vector<uint8_t> xsave(64 * 1024);
  iovec iov{xsave.data(), xsave.size()};
  // SAFETY: NT_X86_XSTATE writes at most iov_len bytes and shrinks iov_len
  // to the XSAVE size.
  if (::ptrace(PTRACE_GETREGSET, tid, NT_X86_XSTATE, &iov) != 0) {
    // No XSAVE on this CPU: the legacy area is all there is.
    return PtraceSetFpRegs(tid, fresh.bytes);
  }
  constexpr size_t kHeaderOffset = 512;
  if (iov.iov_len < kHeaderOffset + 64) return Err(Errno::kEINVAL);
  std::memset(xsave.data(), 0, iov.iov_len);
  std::memcpy(xsave.data(), fresh.bytes, sizeof(fresh.bytes));
  // XSTATE_BV: x87 and SSE given by the legacy area; every other component
  // absent, hence loaded in its initial state.
  uint64_t xstate_bv = 0x3;
  std::memcpy(xsave.data() + kHeaderOffset, &xstate_bv, sizeof(xstate_bv));
  // SAFETY: NT_X86_XSTATE reads iov_len bytes, the size it reported above.
  if (::ptrace(PTRACE_SETREGSET, tid, NT_X86_XSTATE, &iov) != 0) return Err(HostErrno());
  return {};
}

std::shared_ptr<StubThread> PtraceAddressSpace::ThreadForCaller() const {
  pid_t self = CurrentTid();
  for (const auto& t : threads_) {
    if (t->tracer_tid == self) return t;
  }
  return nullptr;
}

SysResult<StubThread*> PtraceAddressSpace::CallerThread() const {
  pid_t self = CurrentTid();
  for (const auto& t : threads_) {
    if (t->tracer_tid != self) continue;
    if (t->dead) return Err(Errno::kESRCH);
    return t.get();
  }
  LOG_ERROR("ptrace: address space %d changed from thread %d, which traces none of its threads",
            pid_, self);
  return Err(Errno::kEPERM);
}

void PtraceAddressSpace::Lost() {
  if (!threads_[0]->dead.exchange(true)) KillAndReap(threads_[0]->pidfd.get());
  for (auto& thread : threads_) thread->dead = true;
}

void PtraceAddressSpace::Reaped(StubThread& t) {
  t.dead = true;
  // The only thread today is the main one: once it is reaped the process is
  // gone and must not be killed by pid any more.
  if (&t == threads_[0].get()) {
    for (auto& thread : threads_) thread->dead = true;
  }
}

SysResult<uint64_t> PtraceAddressSpace::Inject(StubThread& t, uint64_t nr, uint64_t a0,
                                               uint64_t a1, uint64_t a2, uint64_t a3,
                                               uint64_t a4, uint64_t a5) {
  user_regs_struct regs = inject_regs_;
  regs.rax = nr;
  regs.orig_rax = ~0ull;  // not in a syscall: no host restart logic
  regs.rdi = a0;
  regs.rsi = a1;
  regs.rdx = a2;
  regs.r10 = a3;
  regs.r8 = a4;
  regs.r9 = a5;
  regs.rip = page_.syscall_addr;
  t.regs_valid = false;  // the application's registers are gone from the stub
  if (!PtraceSetRegs(t.tid, regs)) {
    Lost();
    return Err(Errno::kESRCH);
  }
  for (;;) {
    if (!PtraceResume(PTRACE_CONT, t.tid)) {
      Lost();
      return Err(Errno::kESRCH);
    }
    auto status = WaitTracee(t.tid);
    if (!status) {
      Lost();
      return Err(Errno::kESRCH);
    }
    if (WIFEXITED(*status) || WIFSIGNALED(*status)) {
      Reaped(t);
      return Err(Errno::kESRCH);
    }
    int sig = WSTOPSIG(*status);
    if (sig == SIGTRAP) {
      if (!PtraceGetRegs(t.tid, regs)) break;
      if (regs.rip != page_.trap_addr) break;
      return regs.rax;
    }
    // A signal sent by some process (a stale interrupt, a stray kill) is
    // dropped; anything else means the stub is not running our code.
    siginfo_t info{};
    if (!PtraceGetSiginfo(t.tid, info) || info.si_code > 0) break;
  }
  LOG_ERROR("ptrace: stub %d in an unexpected state during an injected syscall %lu; killed",
            pid_, nr);
  Lost();
  return Err(Errno::kESRCH);
}

SysResult<void> PtraceAddressSpace::MapFile(uint64_t addr, uint64_t len, uint64_t file_offset,
                                            int prot) {
  if (!ValidRange(addr, len) || !PageAligned(file_offset) || !ValidProt(prot)) {
    return Err(Errno::kEINVAL);
  }
  StubThread* t = TRY(CallerThread());
  uint64_t r = TRY(Inject(*t, SYS_mmap, addr, len, static_cast<uint64_t>(prot),
                          MAP_SHARED | MAP_FIXED, kStubMemoryFd, file_offset));
  if (r >= static_cast<uint64_t>(-4095)) return Err(FromInt(-static_cast<int64_t>(r)));
  if (r != addr) {
    LOG_ERROR("ptrace: stub %d mapped %#lx instead of %#lx", pid_, r, addr);
    return Err(Errno::kEFAULT);
  }
  return {};
}

SysResult<void> PtraceAddressSpace::Unmap(uint64_t addr, uint64_t len) {
  if (!ValidRange(addr, len)) return Err(Errno::kEINVAL);
  StubThread* t = TRY(CallerThread());
  uint64_t r = TRY(Inject(*t, SYS_munmap, addr, len, 0, 0, 0, 0));
  if (r != 0) return Err(FromInt(-static_cast<int64_t>(r)));
  return {};
}

SysResult<void> PtraceAddressSpace::Protect(uint64_t addr, uint64_t len, int prot) {
  if (!ValidRange(addr, len) || !ValidProt(prot)) return Err(Errno::kEINVAL);
  StubThread* t = TRY(CallerThread());
  uint64_t r = TRY(Inject(*t, SYS_mprotect, addr, len, static_cast<uint64_t>(prot), 0, 0, 0));
  if (r != 0) return Err(FromInt(-static_cast<int64_t>(r)));
  return {};
}

}  // namespace bulwark::platform::ptrace_impl

#include "platform/ptrace/stub.h"

#include <elf.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/uio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/log.h"
#include "platform/platform.h"
#include "platform/ptrace/ptrace_sys.h"
#include "platform/ptrace/stub_seccomp.h"

extern "C" {
// stub_amd64.S
extern const char bulwark_ptrace_stub_begin[];
extern const char bulwark_ptrace_stub_syscall[];
extern const char bulwark_ptrace_stub_park[];
extern const char bulwark_ptrace_stub_clone[];
extern const char bulwark_ptrace_stub_clone_trap[];
extern const char bulwark_ptrace_stub_end[];
}

namespace bulwark::platform::ptrace_impl {
namespace {

// First candidates for the stub page; the first free one wins, and then
// the lowest free page above kMaxUserAddress per /proc/self/maps.
constexpr uint64_t kStubHintStep = 16ull << 20;
constexpr int kStubHintCount = 4;
constexpr int kMapsAttempts = 8;

// Exit statuses of a stub that failed before jumping to the stub page
// (statuses below 134 are errnos of the stub page's munmap).
enum StubExit : int {
  kExitPdeathsig = 200,
  kExitReparented = 201,
  kExitTraceme = 202,
  kExitDup = 203,
  kExitCloseRange = 204,
  kExitRseq = 205,
  kExitSigaction = 206,
  kExitCapset = 207,
  kExitSeccomp = 208,
  kExitVdso = 209,
};

// The kernel's struct sigaction for rt_sigaction (not glibc's).
struct KernelSigaction {
  uint64_t handler;
  uint64_t flags;
  uint64_t restorer;
  uint64_t mask;
};

std::vector<Mapping> ReadOwnMappings() {
  std::vector<Mapping> maps;
  FILE* f = std::fopen("/proc/self/maps", "re");
  if (f == nullptr) return maps;
  char line[512];
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    char* dash = nullptr;
    uint64_t start = std::strtoull(line, &dash, 16);
    if (dash == nullptr || *dash != '-') continue;
    uint64_t end = std::strtoull(dash + 1, nullptr, 16);
    maps.push_back({start, end});
    // A line longer than the buffer: skip its tail.
    while (std::strchr(line, '\n') == nullptr && std::fgets(line, sizeof(line), f) != nullptr) {
    }
  }
  std::fclose(f);
  return maps;
}

SysResult<StubPage> MapStubPage() {
  // SAFETY: the three symbols delimit the stub code in stub_amd64.S; only
  // their addresses are used, to copy that byte range.
  const char* begin = bulwark_ptrace_stub_begin;
  size_t size = static_cast<size_t>(bulwark_ptrace_stub_end - begin);
  uint64_t syscall_offset = static_cast<uint64_t>(bulwark_ptrace_stub_syscall - begin);
  uint64_t park_offset = static_cast<uint64_t>(bulwark_ptrace_stub_park - begin);
  uint64_t clone_offset = static_cast<uint64_t>(bulwark_ptrace_stub_clone - begin);
  uint64_t clone_trap_offset = static_cast<uint64_t>(bulwark_ptrace_stub_clone_trap - begin);
  if (size > kPageSize) {
    LOG_ERROR("ptrace: stub code is %zu bytes, more than a page", size);
    return Err(Errno::kEINVAL);
  }
  // The page, then the vDSO's reservation: kept PROT_NONE in the sentry so
  // that nothing of the sentry's lands where the stubs put the vDSO.
  const StubVdso vdso = HostVdso();
  const uint64_t total = kPageSize + vdso.len;
  for (int attempt = 0; attempt < kStubHintCount + kMapsAttempts; attempt++) {
    uint64_t hint = kMaxUserAddress + attempt * kStubHintStep;
    if (attempt >= kStubHintCount) {
      // E.g. the sentry's large memory-file mapping may cover the hints.
      hint = FindStubAddress(ReadOwnMappings(), total);
      if (hint == 0) break;
    }
    // SAFETY: MAP_FIXED_NOREPLACE never replaces an existing mapping.
    void* p = ::mmap(reinterpret_cast<void*>(hint), total, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED) {
      if (errno == EEXIST) continue;  // taken (maybe just now, by another thread)
      return Err(HostErrno());
    }
    // SAFETY: comparing the address only.
    if (reinterpret_cast<uint64_t>(p) != hint) {  // kernel without NOREPLACE
      ::munmap(p, total);
      continue;
    }
    std::memset(p, 0xcc, kPageSize);  // int3 everywhere else
    std::memcpy(p, begin, size);
    if (::mprotect(p, kPageSize, PROT_READ | PROT_EXEC) != 0 ||
        (vdso.len > 0 &&
         ::mprotect(static_cast<char*>(p) + kPageSize, vdso.len, PROT_NONE) != 0)) {
      Errno e = HostErrno();
      ::munmap(p, total);
      return Err(e);
    }
    // `syscall` is 2 bytes and `int3` 1: the SIGTRAP stop reports rip after
    // the int3.
    return StubPage{hint,
                    hint + syscall_offset,
                    hint + syscall_offset + 3,
                    hint + park_offset,
                    hint + clone_offset,
                    hint + clone_trap_offset,
                    PlaceVdso(vdso, hint + kPageSize)};
  }
  LOG_ERROR("ptrace: no free page for the stub in [%#lx, %#lx)", kMaxUserAddress, kTaskSize);
  return Err(Errno::kENOMEM);
}

[[noreturn]] void Exit(int status) {
  // SAFETY: raw syscall in the forked child.
  ::syscall(SYS_exit_group, status);
  __builtin_unreachable();
}

// Runs in the forked child, which is a copy of a multithreaded process: only
// raw syscalls, no allocation, no locks.
// `filter`: the stub seccomp filter (stub_seccomp.h) to install last, or
// null; this copy of it is the child's own and gets its pid patched in.
[[noreturn]] void StubChild(const StubPage& page, int memory_file_fd, pid_t sentry_pid,
                            BpfProgram* filter) {
  // SAFETY (whole function): raw syscalls on this process only; the child
  // has its own copy of the sentry's memory, so reading locals and the
  // thread pointer is fine.
  if (::syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) Exit(kExitPdeathsig);
  if (::syscall(SYS_getppid) != sentry_pid) Exit(kExitReparented);
  if (::syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) != 0) Exit(kExitTraceme);
  // glibc registered an rseq area in this thread's TLS, and fork inherits
  // the registration. The stub page unmaps the TLS, after which the kernel's
  // rseq updates on every reschedule would fail and force a SIGSEGV, so
  // unregister (the length is 32 up to glibc 2.39, __rseq_size later).
  if (__rseq_size > 0) {
    void* area = static_cast<char*>(__builtin_thread_pointer()) + __rseq_offset;
    if (::syscall(SYS_rseq, area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) != 0 &&
        ::syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) != 0) {
      Exit(kExitRseq);
    }
  }
  if (memory_file_fd != kStubMemoryFd &&
      ::syscall(SYS_dup2, memory_file_fd, kStubMemoryFd) != kStubMemoryFd) {
    Exit(kExitDup);
  }
  if (::syscall(SYS_close_range, 0, kStubMemoryFd - 1, 0) != 0 ||
      ::syscall(SYS_close_range, kStubMemoryFd + 1, ~0u, 0) != 0) {
    Exit(kExitCloseRange);
  }
  // Ignore every signal that can be: a stale interrupt (kInterruptSignal)
  // still pending on a thread after its tracer parked it is then discarded
  // instead of killing the stub, while traced threads still report every
  // signal (sig_ignored() is false for ptraced tasks). The handlers inherited
  // from the sentry would be meaningless in the stub anyway.
  for (int sig = 1; sig <= 64; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    KernelSigaction ignore{reinterpret_cast<uint64_t>(SIG_IGN), 0, 0, 0};
    if (::syscall(SYS_rt_sigaction, sig, &ignore, nullptr, sizeof(uint64_t)) != 0) {
      Exit(kExitSigaction);
    }
  }
  // From here on signals are reported to the tracer, which suppresses them.
  uint64_t empty_mask = 0;
  ::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty_mask, nullptr, sizeof(empty_mask));
  // No capabilities (the sentry dropped its own already; a stub forked
  // before that, like the platform's probe, drops them here).
  __user_cap_header_struct cap_header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct no_caps[2] = {};
  if (::syscall(SYS_capset, &cap_header, no_caps) != 0) Exit(kExitCapset);
  if (!MoveVdsoInStub(page.vdso)) Exit(kExitVdso);
  if (filter != nullptr) {
    // The last host call outside the stub page: from here on only the stub
    // page's own syscall instructions may make calls.
    filter->insns[filter->pid_insn].k = static_cast<uint32_t>(::syscall(SYS_getpid));
    sock_fprog prog{static_cast<unsigned short>(filter->insns.size()), filter->insns.data()};
    if (::syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
      Exit(kExitSeccomp);
    }
  }
  // SAFETY: the stub page is mapped RX at page.addr in this copy of the
  // sentry's address space; its code needs no stack and never returns. r12:
  // the bytes above the page its munmap keeps (the vDSO, stub_amd64.S).
  register uint64_t keep_above asm("r12") = page.vdso.len;
  asm volatile("jmp *%0" : : "r"(page.addr), "r"(keep_above) : "memory");
  __builtin_unreachable();
}

}  // namespace

uint64_t FindStubAddress(std::vector<Mapping> maps, uint64_t len) {
  std::sort(maps.begin(), maps.end(),
            [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
  uint64_t candidate = kMaxUserAddress;
  for (const Mapping& m : maps) {
    if (m.end <= candidate) continue;
    if (m.start >= candidate + len) break;  // free gap at candidate
    candidate = (m.end + kPageSize - 1) & ~(kPageSize - 1);
  }
  return candidate + len <= kTaskSize ? candidate : 0;
}

SysResult<StubPage> GetStubPage() {
  static const SysResult<StubPage> page = MapStubPage();
  return page;
}

SysResult<Stub> ForkStub(const StubPage& page, int memory_file_fd) {
  pid_t sentry_pid = ::getpid();
  seccomp::Mode mode = PtraceSeccompMode();
  BpfProgram filter;
  if (mode != seccomp::Mode::kOff) filter = StubFilter(page, mode);
  // Block all signals across the fork so no sentry handler runs in the child
  // before it is traced; the child clears its mask once traced.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int pidfd = -1;
  // SAFETY: raw clone without CLONE_VM is fork without glibc's atfork
  // handlers; the child runs StubChild on its copy of this stack and never
  // returns into glibc. CLONE_PIDFD stores the pidfd in `pidfd` (parent_tid).
  long r = ::syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pidfd, nullptr, 0);
  if (r == 0) {
    StubChild(page, memory_file_fd, sentry_pid,
              mode != seccomp::Mode::kOff ? &filter : nullptr);
  }
  Errno clone_errno = HostErrno();
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (r < 0) return Err(clone_errno);
  Stub stub{static_cast<pid_t>(r), UniqueFd(pidfd)};

  auto status = WaitTracee(stub.pid);
  if (!status) {
    KillAndReap(stub.pidfd.get());
    return Err(status.error());
  }
  if (WIFEXITED(*status)) {
    int code = WEXITSTATUS(*status);
    LOG_ERROR("ptrace: stub %d exited during setup with status %d", stub.pid, code);
    return Err(code > 0 && code < 134 ? FromInt(code) : Errno::kEPERM);
  }
  if (WIFSIGNALED(*status)) {
    LOG_ERROR("ptrace: stub %d killed by signal %d during setup", stub.pid, WTERMSIG(*status));
    return Err(Errno::kECHILD);
  }
  if (WSTOPSIG(*status) != SIGSTOP) {
    LOG_ERROR("ptrace: stub %d stopped by signal %d during setup", stub.pid, WSTOPSIG(*status));
    KillAndReap(stub.pidfd.get());
    return Err(Errno::kECHILD);
  }
  // SAFETY: PTRACE_SETOPTIONS takes the option bits as `data`.
  auto set = PtraceRequest(PTRACE_SETOPTIONS, stub.pid, nullptr,
                           reinterpret_cast<void*>(PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD));
  if (!set) {
    KillAndReap(stub.pidfd.get());
    return Err(set.error());
  }
  return stub;
}

SysResult<void> SeizeThread(pid_t tid) {
  // SAFETY: PTRACE_SEIZE takes the option bits as `data`.
  return PtraceRequest(PTRACE_SEIZE, tid, nullptr,
                       reinterpret_cast<void*>(PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD));
}

SysResult<void> InterruptStop(pid_t tid, bool& reaped) {
  TRY(PtraceRequest(PTRACE_INTERRUPT, tid, nullptr, nullptr));
  // A few signal stops may come first (a stray signal); the interrupt
  // stays pending (JOBCTL_TRAP_STOP) across them.
  for (int i = 0; i < 64; i++) {
    int status = TRY(WaitTracee(tid));
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      reaped = true;
      return Err(Errno::kESRCH);
    }
    if ((status >> 16) == PTRACE_EVENT_STOP) return {};
    TRY(PtraceResume(PTRACE_CONT, tid));
  }
  LOG_ERROR("ptrace: stub thread %d does not stop for PTRACE_INTERRUPT", tid);
  return Err(Errno::kEIO);
}

SysResult<uint64_t> RunInjected(pid_t tid, user_regs_struct regs, uint64_t trap_addr,
                                bool& reaped) {
  regs.orig_rax = ~0ull;  // not in a syscall: no host restart logic
  TRY(PtraceSetRegs(tid, regs));
  for (;;) {
    TRY(PtraceResume(PTRACE_CONT, tid));
    int status = TRY(WaitTracee(tid));
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      reaped = true;
      return Err(Errno::kESRCH);
    }
    if ((status >> 16) == PTRACE_EVENT_STOP) continue;
    int sig = WSTOPSIG(status);
    if (sig == SIGTRAP) {
      TRY(PtraceGetRegs(tid, regs));
      if (regs.rip != trap_addr) break;
      return regs.rax;
    }
    // A signal sent by some process (a stale interrupt, a stray kill) is
    // dropped; anything else means the stub is not running our code.
    siginfo_t info{};
    if (!PtraceGetSiginfo(tid, info) || info.si_code > 0) break;
  }
  LOG_ERROR("ptrace: stub thread %d in an unexpected state during an injected syscall %llu",
            tid, regs.orig_rax);
  return Err(Errno::kEIO);
}

user_regs_struct CloneRegs(const user_regs_struct& inject_regs, const StubPage& page) {
  user_regs_struct regs = inject_regs;
  regs.rax = SYS_clone;
  // A thread of the stub; no stack (the stub code uses none).
  regs.rdi = kStubThreadCloneFlags;
  regs.rsi = 0;
  regs.rdx = 0;
  regs.r10 = 0;
  regs.r8 = 0;
  regs.rip = page.clone_addr;
  return regs;
}

SysResult<void> ParkThread(pid_t tid, user_regs_struct regs, const StubPage& page) {
  regs.rip = page.park_addr;
  regs.orig_rax = ~0ull;  // an interrupted pause must not be restarted elsewhere
  TRY(PtraceSetRegs(tid, regs));
  return PtraceRequest(PTRACE_DETACH, tid, nullptr, nullptr);
}

SysResult<void> ResetExtendedState(pid_t tid) {
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

}  // namespace bulwark::platform::ptrace_impl

// The platform boundary: how the sentry runs application code.
//
// The sentry kernel depends on these three interfaces only. Implementations
// (platform/ptrace, platform/kvm, platform/fake) register themselves by name
// and are linked only into the final binary.
//
// Threading contract (shared by every implementation, required by ptrace):
// each application task runs on its own sentry host thread, and any such
// thread may Switch into any AddressSpace: several threads may run in one
// address space at the same time (application threads), each with its own
// Context. NewAddressSpace() may be called on any sentry thread.
// MapFile/Unmap/Protect may be called from any sentry thread that has a
// Context (or will make one), concurrently from several threads, but never
// concurrently with a Switch of the calling thread; their effect is visible
// to every thread running in that address space. An AddressSpace may be
// destroyed on any sentry thread, also while other threads' Contexts are
// bound to it or even running in it (those Switches return kDied); such a
// Context can still Switch into other address spaces and be destroyed
// without blocking (task exit destroys the address space first, then the
// Context). A Context is used only by the thread that created it
// (Switch, Get/SetFpState, destruction), except Interrupt(), which any
// thread may call. On ptrace a sentry thread should destroy its Context
// before it exits (the Context releases the host-side threads it traces).
#pragma once

#include <signal.h>
#include <sys/user.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace bulwark::platform {

// Application register state (amd64).
struct Registers {
  user_regs_struct regs{};
};

// Legacy FXSAVE area: x87, MXCSR, XMM0-15 (what PTRACE_GETFPREGS returns and
// what a signal frame's fpstate begins with).
struct alignas(16) FpState {
  uint8_t bytes[512]{};
  void Reset();  // the state of a fresh exec: FCW 0x37f, MXCSR 0x1f80
};

enum class Access : uint8_t { kRead = 1, kWrite = 2, kExec = 4 };

struct Event {
  enum class Kind {
    kSyscall,      // regs.orig_rax holds the number; regs.rip is after `syscall`
    kFault,        // memory fault at fault_addr; info holds the host siginfo
    kSignal,       // a synchronous signal caused by the app (SIGILL, SIGFPE, SIGTRAP, ...)
    kInterrupted,  // Interrupt() was called, or a spurious wakeup
    kDied,         // the host side of the context vanished (e.g. stub killed)
  };
  Kind kind = Kind::kInterrupted;
  uint64_t fault_addr = 0;
  siginfo_t info{};
};

class AddressSpace {
 public:
  virtual ~AddressSpace() = default;
  // Maps [addr, addr+len) to the memory file at file_offset with prot
  // (PROT_* bits). Replaces whatever was mapped there. addr, len and
  // file_offset are page-aligned.
  virtual SysResult<void> MapFile(uint64_t addr, uint64_t len, uint64_t file_offset,
                                  int prot) = 0;
  virtual SysResult<void> Unmap(uint64_t addr, uint64_t len) = 0;
  virtual SysResult<void> Protect(uint64_t addr, uint64_t len, int prot) = 0;
};

class Context {
 public:
  virtual ~Context() = default;
  // Runs application code in `as` with `regs` until an event. On return regs
  // hold the application's registers at the event. Floating-point state is
  // not exchanged here (fetching it on every syscall would cost a host call
  // each time): it stays with the context; see Get/SetFpState.
  virtual Event Switch(AddressSpace& as, Registers& regs) = 0;
  // Makes a concurrent or the next Switch() return kInterrupted soon.
  // Thread-safe.
  virtual void Interrupt() = 0;
  // The application's FP state as of the last event, or as last set. A
  // context that has never run and was never set has the state of a fresh
  // exec (FpState::Reset). Needed only to build or restore signal frames and
  // at fork; may cost a host call.
  virtual SysResult<void> GetFpState(FpState& fp) = 0;
  // Replaces the application's FP state from the next Switch() on (also
  // when that Switch runs in another address space than the last one, e.g.
  // after execve or for a fork child's first run). EINVAL for an MXCSR with
  // reserved bits set.
  virtual SysResult<void> SetFpState(const FpState& fp) = 0;
  // True if this context's host thread has a CPU of its own: the sandbox
  // has several CPUs and no other context's thread is pinned to this one.
  // Busy-waiting on this thread for another context's thread then delays
  // no other task of the sandbox (kernel/spin_wait.h spins only then).
  virtual bool OwnsCpu() const { return false; }
};

// A mapping the platform itself puts into every address space, at or above
// max_user_address, where the application cannot map, unmap or change
// anything: the host's vDSO and its data pages.
struct SpecialMapping {
  uint64_t start = 0, end = 0;
  int prot = 0;            // PROT_* bits
  const char* name = "";   // as /proc/PID/maps shows it: "[vvar]", "[vdso]", ...
};

struct Capabilities {
  // Highest application address + 1 (mappings must lie below).
  uint64_t max_user_address = 0;
  // Lowest address mmap may use.
  uint64_t min_user_address = 0x10000;
  // The vDSO's ELF header (AT_SYSINFO_EHDR), or 0 when there is none.
  uint64_t vdso_base = 0;
  // The platform's own mappings in ascending order (empty without a vDSO);
  // the platform owns the storage for its lifetime.
  std::span<const SpecialMapping> special_mappings;
};

class Platform {
 public:
  virtual ~Platform() = default;
  virtual const char* Name() const = 0;
  virtual Capabilities Caps() const = 0;
  // memfd is the sentry's memory file; implementations map ranges of it.
  virtual SysResult<std::unique_ptr<AddressSpace>> NewAddressSpace() = 0;
  virtual std::unique_ptr<Context> NewContext() = 0;
};

// Factory registered by an implementation. memory_file_fd stays owned by the
// caller and stays open for the platform's lifetime.
using Factory = std::function<Result<std::unique_ptr<Platform>>(int memory_file_fd)>;

// Called at static-initialization time by implementations (see REGISTER_PLATFORM).
bool Register(const std::string& name, Factory factory);
// Creates the named platform; the error names the platform and why it
// cannot run on this host.
Result<std::unique_ptr<Platform>> Create(const std::string& name, int memory_file_fd);
std::vector<std::string> Names();

}  // namespace bulwark::platform

#define BULWARK_REGISTER_PLATFORM(name, factory)                                 \
  static const bool bulwark_platform_registered_##name [[maybe_unused]] =         \
      ::bulwark::platform::Register(#name, factory)

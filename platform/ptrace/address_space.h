// PtraceAddressSpace: an application address space held by a stub process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>

#include "base/result.h"
#include "platform/platform.h"
#include "platform/ptrace/stub.h"
#include "platform/ptrace/stub_process.h"

namespace bulwark::platform::ptrace_impl {

// MapFile, Unmap and Protect may be called from any sentry thread, never
// concurrently with a Switch of that same thread (which the one-thread-per-
// task model implies). Each runs in the stub thread the calling sentry
// thread traces in this process, claimed (or spawned) on first use; the
// claim stays with the thread until its context switches to another address
// space or is destroyed, or the thread exits (stub_process.h). Calls from
// different sentry threads run concurrently in different stub threads; the
// host kernel serializes the mm changes. The destructor may run on any
// sentry thread and never waits for other sentry threads' tracees.
class PtraceAddressSpace final : public AddressSpace {
 public:
  // Forks the stub through the stub factory (factory.h).
  static SysResult<std::unique_ptr<PtraceAddressSpace>> Create(const StubPage& page,
                                                               int memory_file_fd);
  // Kills the stub (StubProcess::Kill). Contexts still bound to it get
  // kDied from their next Switch.
  ~PtraceAddressSpace() override;

  SysResult<void> MapFile(uint64_t addr, uint64_t len, uint64_t file_offset,
                          int prot) override;
  SysResult<void> Unmap(uint64_t addr, uint64_t len) override;
  SysResult<void> Protect(uint64_t addr, uint64_t len, int prot) override;

  // The stub process (for tests and logs).
  pid_t pid() const { return proc_->pid(); }
  // Unique for the process lifetime (never reused, unlike `this`).
  uint64_t id() const { return proc_->id(); }
  const std::shared_ptr<StubProcess>& process() const { return proc_; }

 private:
  explicit PtraceAddressSpace(std::shared_ptr<StubProcess> proc) : proc_(std::move(proc)) {}

  std::shared_ptr<StubProcess> proc_;
};

}  // namespace bulwark::platform::ptrace_impl

#include "platform/ptrace/address_space.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#include "base/log.h"
#include "platform/ptrace/ptrace_sys.h"

namespace bulwark::platform::ptrace_impl {
namespace {

bool PageAligned(uint64_t v) { return (v & (kPageSize - 1)) == 0; }

// [addr, addr+len) must be a non-empty page-aligned range below
// kMaxUserAddress: the stub page above it must never be touched.
bool ValidRange(uint64_t addr, uint64_t len) {
  return PageAligned(addr) && PageAligned(len) && len != 0 && addr < kMaxUserAddress &&
         len <= kMaxUserAddress - addr;
}

bool ValidProt(int prot) { return (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) == 0; }

}  // namespace

SysResult<std::unique_ptr<PtraceAddressSpace>> PtraceAddressSpace::Create(const StubPage& page,
                                                                         int memory_file_fd) {
  auto proc = TRY(StubProcess::Create(page, memory_file_fd));
  return std::unique_ptr<PtraceAddressSpace>(new PtraceAddressSpace(std::move(proc)));
}

PtraceAddressSpace::~PtraceAddressSpace() { proc_->Kill(); }

SysResult<void> PtraceAddressSpace::MapFile(uint64_t addr, uint64_t len, uint64_t file_offset,
                                            int prot) {
  if (!ValidRange(addr, len) || !PageAligned(file_offset) || !ValidProt(prot)) {
    return Err(Errno::kEINVAL);
  }
  auto t = TRY(proc_->ThreadForCaller());
  uint64_t r = TRY(proc_->Inject(*t, SYS_mmap, addr, len, static_cast<uint64_t>(prot),
                                 MAP_SHARED | MAP_FIXED, kStubMemoryFd, file_offset));
  if (r >= static_cast<uint64_t>(-4095)) return Err(FromInt(-static_cast<int64_t>(r)));
  if (r != addr) {
    LOG_ERROR("ptrace: stub %d mapped %#lx instead of %#lx", pid(), r, addr);
    return Err(Errno::kEFAULT);
  }
  return {};
}

SysResult<void> PtraceAddressSpace::Unmap(uint64_t addr, uint64_t len) {
  if (!ValidRange(addr, len)) return Err(Errno::kEINVAL);
  auto t = TRY(proc_->ThreadForCaller());
  uint64_t r = TRY(proc_->Inject(*t, SYS_munmap, addr, len, 0, 0, 0, 0));
  if (r != 0) return Err(FromInt(-static_cast<int64_t>(r)));
  return {};
}

SysResult<void> PtraceAddressSpace::Protect(uint64_t addr, uint64_t len, int prot) {
  if (!ValidRange(addr, len) || !ValidProt(prot)) return Err(Errno::kEINVAL);
  auto t = TRY(proc_->ThreadForCaller());
  uint64_t r = TRY(proc_->Inject(*t, SYS_mprotect, addr, len, static_cast<uint64_t>(prot), 0, 0,
                                 0));
  if (r != 0) return Err(FromInt(-static_cast<int64_t>(r)));
  return {};
}

}  // namespace bulwark::platform::ptrace_impl

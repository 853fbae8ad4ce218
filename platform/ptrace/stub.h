// Stub processes: the host processes that hold application address spaces.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace bulwark::platform::ptrace_impl {

// The stub code page (stub_amd64.S), mapped at the same address in the
// sentry and in every stub, at or above kMaxUserAddress.
struct StubPage {
  uint64_t addr = 0;          // start of the page; also the entry point
  uint64_t syscall_addr = 0;  // the injection point: `syscall; int3`
  uint64_t trap_addr = 0;     // rip at the SIGTRAP stop after an injected syscall
};

struct Mapping {
  uint64_t start = 0;
  uint64_t end = 0;
};

// The lowest page-aligned address in [kMaxUserAddress, kTaskSize) that no
// mapping in `maps` covers, or 0. Taking the lowest gap keeps the page next
// to the highest mmap'd region, far from the main thread's stack, which the
// kernel's mmap_base leaves room below. (Exposed for tests.)
uint64_t FindStubAddress(std::vector<Mapping> maps);

// Maps the stub page into the sentry once per process and returns it: at
// kMaxUserAddress or a few hints above, else at FindStubAddress of
// /proc/self/maps.
// Thread-safe; the page is never unmapped.
SysResult<StubPage> GetStubPage();

struct Stub {
  pid_t pid = 0;
  UniqueFd pidfd;  // of the process; see KillAndReap
};

// Forks a stub process from the calling thread, which becomes its parent
// and tracer. On success the stub has unmapped everything but the stub page,
// holds `memory_file_fd` as kStubMemoryFd and no other fd, is in a
// signal-delivery-stop for SIGSTOP, and has PTRACE_O_EXITKILL |
// PTRACE_O_TRACESYSGOOD set.
SysResult<Stub> ForkStub(const StubPage& page, int memory_file_fd);

}  // namespace bulwark::platform::ptrace_impl

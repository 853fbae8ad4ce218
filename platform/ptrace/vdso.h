// The host's vDSO in the stubs (issue 4, "clock calls must be fast").
//
// The sentry's time calls return the host's clocks unchanged
// (sentry/syscalls/linux/time.cc), so the host kernel's own vDSO computes
// exactly what the sentry would return, without a ptrace round trip. A stub
// is forked from the sentry and so starts with the sentry's [vvar],
// [vvar_vclock] and [vdso] mappings, at a random address inside the
// application range. Before it strips its address space, each new stub moves
// them with mremap (the kernel lets a process move its vDSO: vdso_mremap()
// in arch/x86/entry/vdso/vma.c updates mm->context.vdso; the data pages are
// plain special mappings) to one fixed place right above the stub page,
// keeping their relative offsets (the vDSO code reads the data pages
// RIP-relatively). The sentry keeps a PROT_NONE reservation there so that
// none of its own mappings lands in that range. Every stub has the same
// layout, so it survives fork and exec (the loader's AT_SYSINFO_EHDR).
//
// Clocks the vDSO cannot serve (CPU-time clocks, a non-TSC clocksource)
// make it execute a real `syscall`, which PTRACE_SYSEMU reports to the
// sentry like any other application syscall (before seccomp runs).
//
// BULWARK_VDSO=0 disables it: no mappings, no AT_SYSINFO_EHDR.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "platform/platform.h"

namespace bulwark::platform::ptrace_impl {

struct StubVdso {
  static constexpr int kMaxParts = 4;
  // In the stubs, ascending and contiguous: [vvar] ... [vdso].
  SpecialMapping parts[kMaxParts];
  // The same mappings in the sentry (where a fresh fork has them).
  uint64_t sentry_start[kMaxParts] = {};
  int count = 0;
  uint64_t len = 0;   // bytes from the first part's start to the last's end
  uint64_t ehdr = 0;  // the [vdso] part's start in the stubs
};

// One line of /proc/self/maps.
struct MapsLine {
  uint64_t start = 0, end = 0;
  int prot = 0;
  std::string_view name;  // points into the caller's buffer
};

// The contiguous run of the host's vDSO mappings ([vvar], [vvar_vclock],
// [vdso]) among `lines` (ascending), with stub addresses counted from 0
// (see PlaceVdso); count == 0 if there is no [vdso], or the run is not
// contiguous, leaves out one of those mappings (the vDSO code would lose
// its data) or has more than kMaxParts pieces. (Exposed for tests.)
StubVdso PlanVdso(const std::vector<MapsLine>& lines);

// PlanVdso of the sentry's /proc/self/maps; empty when BULWARK_VDSO=0 or
// the host has no usable vDSO.
StubVdso HostVdso();

// Relocates `v` by `stub_start` (the byte after the stub page).
StubVdso PlaceVdso(StubVdso v, uint64_t stub_start);

// In a freshly forked stub, before it strips its address space: moves the
// sentry's vDSO mappings to their stub addresses. Raw syscalls only (runs
// in the copy of a multithreaded process); returns false on failure.
bool MoveVdsoInStub(const StubVdso& v);

}  // namespace bulwark::platform::ptrace_impl

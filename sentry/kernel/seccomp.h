// Seccomp filters of sandboxed tasks (seccomp(2), prctl(PR_SET_SECCOMP)):
// classic BPF programs run by the sentry on every system call of a task
// that installed them, as Linux's kernel/seccomp.c does. They are the
// application's own filters, unrelated to the host seccomp filters that
// confine the sentry and its stubs (sentry/seccomp_policy.h).
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "base/result.h"

namespace bulwark::kernel {

// One attached filter; immutable once attached. A task's filters form a
// chain from the newest to the oldest, shared with the tasks it forked and
// the threads it synchronised (SECCOMP_FILTER_FLAG_TSYNC).
struct SeccompFilter {
  std::vector<sock_filter> prog;
  bool log = false;  // SECCOMP_FILTER_FLAG_LOG
  std::shared_ptr<const SeccompFilter> prev;
};

// A task's seccomp state (Linux's struct seccomp). Copied by clone, kept
// across execve.
struct SeccompState {
  int mode = SECCOMP_MODE_DISABLED;
  std::shared_ptr<const SeccompFilter> filter;  // newest first
};

// bpf_check_classic() and seccomp_check_filter(): whether `prog` is a
// filter Linux would attach. EINVAL otherwise.
SysResult<void> CheckSeccompProgram(const std::vector<sock_filter>& prog);

// The instruction count the chain costs (seccomp_attach_filter(): each
// filter's length plus 4), which must stay within kSeccompMaxInsnsPerPath.
inline constexpr size_t kSeccompMaxInsnsPerPath = 32768;
size_t SeccompPathLength(const SeccompFilter* chain);

// Runs every filter of the chain on `data` and returns the action with the
// highest precedence (the lowest signed action value; on a tie the newest
// filter's), with its data bits; `matched` is the filter that returned it.
uint32_t RunSeccompFilters(const SeccompFilter& chain, const seccomp_data& data,
                           const SeccompFilter** matched);

// Runs one program (precondition: CheckSeccompProgram accepted it).
uint32_t RunSeccompProgram(const std::vector<sock_filter>& prog, const seccomp_data& data);

}  // namespace bulwark::kernel

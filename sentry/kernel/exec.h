// execve(2) in the kernel: replaces a task's program.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/resolve.h"

namespace bulwark::kernel {

// Loads `path` (resolved in `ctx`) with argv/envp into a fresh address
// space and, on success, makes it t's: closes O_CLOEXEC fds, resets handled
// signals to SIG_DFL, sets the registers to the new entry point. On failure
// t is unchanged. In a multi-threaded process the other threads are killed
// and waited for first, and a non-leader takes the leader's tid.
// Precondition: kernel lock held.
SysResult<void> Exec(Task& t, const vfs::ResolveContext& ctx, const std::string& path,
                     std::vector<std::string> argv, std::vector<std::string> envp);

}  // namespace bulwark::kernel

// The console relay: a process with a terminal (process.terminal, `exec
// --tty`) gets a pty of the sandbox, and the host terminal the runtime gave
// the sentry (the replica of its host pty, or its own terminal) becomes a
// byte pipe to that pty's master, as in gVisor.
//
// The host terminal is put in raw mode (cfmakeraw), so echo, signal
// characters, canonical editing and output processing happen once, in the
// sandbox pty's line discipline. One thread per console copies host input
// into the sandbox master and the sandbox master's output to the host,
// taking the kernel lock only to touch the pty; it sleeps in poll(2) on the
// host fd and an eventfd that the master's wait queue signals.
//
// Endings: the host terminal hanging up (its master closed: EOF/EIO,
// POLLHUP) closes the sandbox master, which hangs the sandbox pty up as
// Linux's pty_close does (SIGHUP and SIGCONT to the session leader). Every
// sandbox replica closing ends an exec'd process's console (its host master
// then reads EIO, as under runc) but not init's: Linux keeps a master open
// when its replicas close, and /dev/pts/0 can be opened again.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <mutex>

#include "base/result.h"
#include "base/unique_fd.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/resolve.h"

namespace bulwark::kernel {
class Kernel;
}

namespace bulwark::fsimpl::devpts {

struct ConsoleOptions {
  // The session (and foreground process group) the pty becomes the
  // controlling terminal of: the new process's (runc: setsid + TIOCSCTTY).
  pid_t sid = 0;
  pid_t pgid = 0;
  // End once every replica is closed and the output is written (`exec`).
  bool end_with_replicas = true;
};

// Opens a new sandbox pty through /dev/ptmx resolved in `ctx` (inside the
// container, as runc does; owned by ctx.task's credentials), unlocks it,
// sets its window size from `host`, makes it the controlling terminal of
// `opts.sid`, puts `host` in raw mode (restored when the console ends, or
// by RestoreConsoles) and starts the relay. Returns the replica
// (/dev/pts/N) to install as fds 0-2. Takes `host` only on success.
// Preconditions: kernel lock held; ctx.task set; `host` is a tty.
SysResult<std::shared_ptr<vfs::FileDescription>> StartConsole(const vfs::ResolveContext& ctx,
                                                              UniqueFd& host,
                                                              const ConsoleOptions& opts);

// StartConsole's second half, on an open master (also for tests): the
// raw mode, window size, controlling terminal and relay thread.
// Precondition: kernel lock held.
SysResult<void> StartRelay(kernel::Kernel& k, std::shared_ptr<vfs::FileDescription> master,
                           UniqueFd& host, const ConsoleOptions& opts);

// The sentry got SIGWINCH (its host terminal was resized, or `run`
// forwarded one): every console re-reads its host terminal's size and
// resizes its pty, which signals the pty's foreground group on a change.
// Returns whether any console exists. Precondition: kernel lock held.
bool ResizeConsoles();

// Waits, up to `timeout`, until the console of session `sid` (0: every
// console) has written to the host all the output its pty holds, so that
// an exit status is not reported before the output. `lock` holds the
// kernel lock.
void WaitConsoleOutput(std::unique_lock<std::mutex>& lock, pid_t sid,
                       std::chrono::milliseconds timeout);

// Gives every host terminal its mode back (the sentry is about to exit).
// Precondition: kernel lock held.
void RestoreConsoles();

}  // namespace bulwark::fsimpl::devpts

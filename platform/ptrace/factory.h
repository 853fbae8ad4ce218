// The stub factory: one long-lived sentry thread that forks every stub
// process and reaps the dead ones.
//
// Why a dedicated thread: a stub's PR_SET_PDEATHSIG fires when the thread
// that forked it exits, and sentry task threads come and go while an
// address space lives on (threads, fork, exec). The factory thread is
// started on first use (lazily: it inherits the creating thread's
// credentials, so it must first be used after the sentry dropped its
// privileges), blocks every signal and never exits. It traces a new stub
// only while setting it up; every stub thread it returns is parked
// (untraced, in the stub page's park loop), to be claimed by the sentry
// thread that runs in it (see stub_process.h).
#pragma once

#include <sys/types.h>
#include <sys/user.h>

#include "base/result.h"
#include "base/unique_fd.h"
#include "platform/ptrace/stub.h"

namespace bulwark::platform::ptrace_impl {

struct FactoryStub {
  Stub stub;                        // the process (pid, process pidfd)
  user_regs_struct inject_regs{};   // the leader's registers at its first stop
  pid_t first_thread = 0;           // a parked non-leader thread
};

// Forks a stub (ForkStub) on the factory thread, resets its extended FP
// state, spawns one application thread (non-leader, see stub_amd64.S) and
// parks both. Blocks until done. Thread-safe.
SysResult<FactoryStub> FactoryFork(const StubPage& page, int memory_file_fd);

// Hands over a stub process that was sent SIGKILL: the factory reaps it
// (waitid(P_PIDFD)) once its pidfd reports that every thread has exited,
// which may wait for sentry threads still tracing one of its threads to
// reap theirs. Never blocks. Thread-safe.
void FactoryReap(UniqueFd process_pidfd);

}  // namespace bulwark::platform::ptrace_impl

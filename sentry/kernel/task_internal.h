// Kernel-internal task operations shared by the run loop and syscalls.
#pragma once

#include "sentry/kernel/task.h"

namespace bulwark::kernel {

// Delivers pending signals before returning to application code: runs
// default actions, sets up handler frames, and finishes interrupted
// syscalls (restart or EINTR). Precondition: kernel lock held.
void HandlePendingSignals(Task& t);

// rt_sigreturn: restores the state saved by a handler frame. Returns the
// restored rax.
SysResult<uint64_t> SigReturn(Task& t);

// Leaves the thread group; the last thread makes the group a zombie and
// notifies the parent. Precondition: kernel lock held; t is leaving Run().
void ExitTask(Task& t);

// The futex side of a thread leaving its memory (mm_release): walks the
// robust list, then clears and wakes clear_child_tid. Called at thread
// exit and by execve. Precondition: kernel lock held.
void ReleaseThreadMm(Task& t);

// Stops the calling thread while its group is stopped (group stop), until
// SIGCONT or a kill. Precondition: kernel lock held.
void ParticipateInGroupStop(Task& t);

// Records the syscall restart state after a handler returned an
// ERESTART* code (see task_signals.cc).
void NoteRestart(Task& t, Errno e);

}  // namespace bulwark::kernel

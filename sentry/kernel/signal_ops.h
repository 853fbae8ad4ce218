// Sending signals and ending thread groups.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "sentry/kernel/task.h"

namespace bulwark::kernel {

siginfo_t MakeSigInfo(int sig, int code, pid_t pid = 0, uid_t uid = 0);

// Where a signal comes from, for init's protection (pid_namespaces(7): init
// only receives signals it has a handler for, unless they come from an
// ancestor namespace, i.e. from the runtime).
// kCreatedInit: from the runtime to a created, not yet started init, which
// under runc is still runc's own init code and takes every signal.
enum class SignalSource { kSandbox, kOutside, kCreatedInit };

// Process-directed signal: queued on the group and handled by a thread that
// does not block it. Ignored signals are dropped at send time, as Linux does.
// Precondition: kernel lock held.
void SendGroupSignal(ThreadGroup& tg, const siginfo_t& info,
                     SignalSource source = SignalSource::kSandbox);
// Thread-directed signal (tgkill, faults).
void SendThreadSignal(Task& t, const siginfo_t& info, SignalSource source = SignalSource::kSandbox);
// A synchronous signal caused by the task itself (fault, SIGSYS): if it is
// blocked or ignored, the handler is reset to SIG_DFL so it kills the
// process, as force_sig_info does.
void ForceSignal(Task& t, const siginfo_t& info);

// Kicks, for each process-directed pending signal, a thread that does not
// block it (after the thread chosen for it blocked it or exited).
void RetargetGroupSignals(ThreadGroup& tg);

// Starts tearing the thread group down with `wait_status` (exit_group or a
// fatal signal): every thread leaves its run loop. Idempotent.
void GroupExit(ThreadGroup& tg, int wait_status);

// Sends SIGCHLD (or the group's exit_signal) to the parent and wakes its
// waiters. Called when `child` becomes a zombie, stops or continues.
void NotifyParent(ThreadGroup& child, int code, int status);

}  // namespace bulwark::kernel

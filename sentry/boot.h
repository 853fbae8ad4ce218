// Entry point of the sentry process (`bulwark boot`).
#pragma once

namespace bulwark::sentry {

// `bulwark boot --spec-fd=N --gofer-fd=M [--platform=NAME] [--strace]
//   [--overlay=tmpfs|none] [--network=none|host] [--debug-log-fd=K]
//   [--control-fd=L]`
//
// --control-fd: a listening SOCK_SEQPACKET socket for the control channel
// (sentry/control/protocol.h). Init is then created and loaded but runs
// only when the runtime sends "start"; boot errors are reported to the
// runtime's "ready" request (and on stderr only if no such request comes
// within 5 s).
//
// Preconditions: started by the runtime in new pid, mount, ipc, uts and net
// namespaces (so this process is pid 1 of its pid namespace); fds 0-2 are the
// container's stdio; spec-fd yields the bytes of config.json and EOF;
// gofer-fd is the sentry's end of the gofer's SOCK_SEQPACKET socketpair.
//
// Returns only on a start-up failure (exit status 1 after printing one line
// to stderr). Otherwise the process exits with the init task's status, or
// kills itself with init's terminating signal.
int BootMain(int argc, char** argv);

}  // namespace bulwark::sentry

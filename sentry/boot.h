// Entry point of the sentry process (`bulwark boot`).
#pragma once

namespace bulwark::sentry {

// `bulwark boot --spec-fd=N --gofer-fd=M [--platform=NAME] [--strace]
//   [--overlay=tmpfs|none] [--debug-log-fd=K]`
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

// ioctl(2) on host files: the terminal requests passed through to the host.
#pragma once

#include <cstdint>

#include "base/result.h"
#include "sentry/fsimpl/host/host_file.h"
#include "sentry/fsimpl/tty/job_control.h"

namespace bulwark::kernel {
class Task;
}

namespace bulwark::fsimpl::host {

using tty::KernelTermios;

// TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, TIOCSWINSZ and FIONREAD go
// to the host tty; the job-control requests (tty::JobControlIoctl) are kept
// in the sandbox; anything else is ENOTTY. Arguments are copied through the
// sentry: application pointers never reach the host.
SysResult<uint64_t> HostIoctl(kernel::Task& t, HostFd& fd, uint32_t cmd, uint64_t arg);

}  // namespace bulwark::fsimpl::host

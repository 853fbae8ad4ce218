// ioctl(2) on host files: the terminal requests passed through to the host.
#pragma once

#include <cstdint>

#include "base/result.h"
#include "sentry/fsimpl/host/host_file.h"

namespace bulwark::kernel {
class Task;
}

namespace bulwark::fsimpl::host {

// struct termios as TCGETS/TCSETS take it (asm-generic/termbits.h), which
// differs from glibc's.
struct KernelTermios {
  uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
  uint8_t c_line;
  uint8_t c_cc[19];
};
static_assert(sizeof(KernelTermios) == 36);

// TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, TIOCSWINSZ, TIOCGPGRP,
// TIOCSPGRP and FIONREAD; anything else is ENOTTY. Arguments are copied
// through the sentry: application pointers never reach the host.
SysResult<uint64_t> HostIoctl(kernel::Task& t, HostFd& fd, uint32_t cmd, uint64_t arg);

}  // namespace bulwark::fsimpl::host

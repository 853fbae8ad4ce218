// procfs: /proc generated from kernel state.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "sentry/vfs/inode.h"

namespace bulwark::kernel {
class Kernel;
}

namespace bulwark::fsimpl::proc {

struct ProcOptions {
  // MemTotal of /proc/meminfo in bytes; 0: the host's, from sysinfo(2).
  uint64_t mem_total = 0;
};

// A procfs instance showing `kernel`'s processes; returns its root. The
// sentry cannot open host paths once confined, so the host's /proc/cpuinfo
// is read by the boot code beforehand and passed in as `host_cpuinfo`.
std::shared_ptr<vfs::Inode> CreateProcFs(kernel::Kernel& kernel, std::string host_cpuinfo,
                                         ProcOptions options = {});

// The process a /proc/<pid> directory stands for (not /proc/<pid>/task/
// <tid>): pidfd_send_signal(2) accepts an fd of one (tgid_pidfd_to_pid()).
std::optional<pid_t> ProcessOfPidDir(const vfs::Inode& ino);

}  // namespace bulwark::fsimpl::proc

// devfs: a memfs populated with the standard device nodes, and the opener
// that gives device numbers their behaviour (for devfs and any other memfs).
#pragma once

#include <memory>

#include "base/result.h"
#include "sentry/fsimpl/host/host_file.h"
#include "sentry/fsimpl/memfs/memfs.h"

namespace bulwark::fsimpl::dev {

struct DevOptions {
  // The terminal /dev/tty opens: the sentry's stdio tty, or null (ENXIO).
  // TODO(#3): the caller's controlling terminal once the sandbox has ttys.
  std::shared_ptr<host::HostFd> tty;
  // Opens FIFOs (the pipe implementation's); null: FIFOs fail with ENXIO.
  memfs::SpecialOpener open_fifo;
};

// Opens character devices by number: null (1,3), zero (1,5), full (1,7),
// random (1,8), urandom (1,9), tty (5,0); FIFOs through open_fifo; anything
// else is ENXIO. Pass it as MemFsOptions::open_special of every memfs, so
// that mknod'ed nodes behave as on Linux.
memfs::SpecialOpener DeviceOpener(DevOptions options);

// A devfs instance: null, zero, full, random, urandom, tty; fd ->
// /proc/self/fd; stdin, stdout, stderr -> /proc/self/fd/0..2; shm/ (1777).
// Returns the root directory.
SysResult<std::shared_ptr<vfs::Inode>> CreateDevFs(const DevOptions& options);

}  // namespace bulwark::fsimpl::dev

// devfs: a memfs populated with the standard device nodes, and the opener
// that gives device numbers their behaviour (for devfs and any other memfs).
#pragma once

#include <memory>

#include "base/result.h"
#include "sentry/fsimpl/devpts/devpts.h"
#include "sentry/fsimpl/host/host_file.h"
#include "sentry/fsimpl/memfs/memfs.h"

namespace bulwark::fsimpl::dev {

struct DevOptions {
  // The terminal /dev/tty opens when the caller's session has no pty as
  // its controlling terminal: the sentry's stdio tty, or null (ENXIO).
  std::shared_ptr<host::HostFd> tty;
  // The sandbox's devpts instance: ptmx (5:2) and pty replicas (136-143)
  // open there; null: they fail with ENXIO and devfs has no ptmx.
  std::shared_ptr<devpts::DevPts> pts;
  // Opens FIFOs (the pipe implementation's); null: FIFOs fail with ENXIO.
  memfs::SpecialOpener open_fifo;
};

// Opens character devices by number: null (1,3), zero (1,5), full (1,7),
// random (1,8), urandom (1,9), tty (5,0), ptmx (5,2), pty replicas
// (136-143); FIFOs through open_fifo; anything
// else is ENXIO. Pass it as MemFsOptions::open_special of every memfs, so
// that mknod'ed nodes behave as on Linux.
memfs::SpecialOpener DeviceOpener(DevOptions options);

// A devfs instance: null, zero, full, random, urandom, tty, ptmx (with
// options.pts); fd ->
// /proc/self/fd; stdin, stdout, stderr -> /proc/self/fd/0..2; shm/ (1777).
// Returns the root directory.
SysResult<std::shared_ptr<vfs::Inode>> CreateDevFs(const DevOptions& options);

}  // namespace bulwark::fsimpl::dev

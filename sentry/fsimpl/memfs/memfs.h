// memfs: the in-memory filesystem behind tmpfs, devfs and the root overlay.
//
// A memfs directory or file may have a `lower` inode of another filesystem
// (in practice the gofer's read-only image). Its entries and data show
// through until they are changed: data is copied up when the file is opened
// for writing, attributes belong to the upper inode from the start, and
// removing a lower entry records a whiteout in the upper directory. The
// lower filesystem is never modified.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "base/result.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/inode.h"
#include "sentry/vfs/mount.h"

namespace bulwark::fsimpl::memfs {

// Opens a FIFO, character or block device node of a memfs; `path` reaches
// the node (path.ino() is the node) and `rdev` is its device number (0 for
// FIFOs).
using SpecialOpener = std::function<SysResult<std::shared_ptr<vfs::FileDescription>>(
    kernel::Task& task, const vfs::Path& path, int flags, uint64_t rdev)>;

struct MemFsOptions {
  uint64_t size_limit = 0;   // bytes of file data (tmpfs size=); 0: unlimited
  uint64_t inode_limit = 0;  // tmpfs nr_inodes=; 0: unlimited
  // The root directory's permission bits and owner (tmpfs mode=, uid=,
  // gid=). Ignored by CreateOverlayRoot, whose root takes the lower's.
  uint32_t root_mode = 01777;
  uint32_t root_uid = 0, root_gid = 0;
  // Opens device nodes and FIFOs; when null they fail to open with ENXIO.
  SpecialOpener open_special;
};

// Parses tmpfs mount data ("size=64m,nr_inodes=1k,mode=755,uid=0,gid=0"):
// sizes take k/m/g suffixes or a trailing '%' of `total_memory`. Unknown
// options are EINVAL, as tmpfs(5) rejects them. Without size= or
// nr_blocks= the size is half of `total_memory`, tmpfs(5)'s default (0:
// unlimited).
SysResult<MemFsOptions> ParseTmpfsOptions(std::string_view data, uint64_t total_memory);

// A new empty filesystem; returns its root directory.
std::shared_ptr<vfs::Inode> CreateMemFs(const MemFsOptions& options);

// A new filesystem whose root directory overlays `lower_root` (a directory
// of any filesystem), which is never modified.
SysResult<std::shared_ptr<vfs::Inode>> CreateOverlayRoot(std::shared_ptr<vfs::Inode> lower_root,
                                                         const MemFsOptions& options);

// For statfs(2) and /proc/mounts options.
struct Usage {
  uint64_t bytes_used = 0, size_limit = 0;    // 0: unlimited
  uint64_t inodes_used = 0, inode_limit = 0;  // 0: unlimited
  uint64_t dev = 0;
};
// nullopt when `inode` is not a memfs inode.
std::optional<Usage> UsageOf(const vfs::Inode& inode);

// A fresh anonymous device number (major 0), as Linux gives each instance of
// a filesystem without a backing device. Thread-safe.
uint64_t AllocAnonDev();

}  // namespace bulwark::fsimpl::memfs

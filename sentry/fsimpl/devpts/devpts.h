// devpts: the sandbox's pseudo-terminals (pts(4), ptmx(4)).
//
// One instance per sandbox (the "newinstance" semantics every container
// runtime asks for): /dev/pts holds ptmx and one node per open pair;
// opening ptmx (/dev/ptmx, 5:2, or /dev/pts/ptmx) allocates the lowest free
// index N and creates /dev/pts/N (136+N/256 : N%256).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "base/result.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/inode.h"
#include "sentry/vfs/mount.h"

namespace bulwark::kernel {
class Task;
}

namespace bulwark::fsimpl::devpts {

// Mount options (Linux fs/devpts/inode.c).
struct DevPtsOptions {
  uint32_t mode = 0600;        // mode=: permission bits of new nodes
  std::optional<uid_t> uid;    // uid=: owner of new nodes (else the opener)
  std::optional<gid_t> gid;    // gid=: group of new nodes (else the opener's)
  uint32_t ptmx_mode = 0;      // ptmxmode=: permission bits of pts/ptmx
  unsigned max = 4096;         // max=: pairs at once (also the pty.max default)
};

// Parses "newinstance,ptmxmode=0666,mode=0620,gid=5" (numbers octal for
// modes, decimal for ids). Unknown options are EINVAL, as Linux.
SysResult<DevPtsOptions> ParseDevPtsOptions(std::string_view data);

class DevPts;

std::shared_ptr<DevPts> NewDevPts(const DevPtsOptions& options);
// The root directory of the instance.
std::shared_ptr<vfs::Inode> DevPtsRoot(DevPts& fs);
// Records where the instance is mounted (for TIOCGPTPEER's path).
void SetDevPtsMount(DevPts& fs, const std::shared_ptr<vfs::Mount>& mount);

// Opens a pty device node of this instance by number: ptmx (5:2) or a
// replica (136..143). ENXIO for other numbers. Fits memfs::SpecialOpener.
SysResult<std::shared_ptr<vfs::FileDescription>> OpenPtyDevice(kernel::Task& t, DevPts& fs,
                                                               const vfs::Path& path, int flags,
                                                               uint64_t rdev);

}  // namespace bulwark::fsimpl::devpts

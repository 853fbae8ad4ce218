// FsContext: root, cwd and umask (shared with CLONE_FS).
#pragma once

#include <memory>

#include "sentry/vfs/mount.h"

namespace bulwark::kernel {

struct FsContext {
  vfs::Path root;
  vfs::Path cwd;
  uint32_t umask = 022;
  std::shared_ptr<FsContext> Fork() const { return std::make_shared<FsContext>(*this); }
};

}  // namespace bulwark::kernel

#include <fcntl.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/resolve.h"

namespace bulwark::vfs {

SysResult<ResolveContext> TaskContext(kernel::Task& t, int dirfd, std::string_view path) {
  ResolveContext ctx;
  ctx.root = t.fs().root;
  ctx.creds = &t.creds();
  ctx.task = &t;
  ctx.mounts = &t.kernel().mounts();
  ctx.umask = t.fs().umask;
  if ((!path.empty() && path[0] == '/') || dirfd == AT_FDCWD) {
    ctx.start = t.fs().cwd;
    return ctx;
  }
  // O_PATH descriptors are fine as directory fds (fdget_raw()).
  std::shared_ptr<FileDescription> dir = TRY(t.fds().Get(dirfd));
  if (!dir->path().valid()) {
    if (path.empty()) return ctx;
    return Err(Errno::kENOTDIR);
  }
  if (!path.empty() && !dir->path().ino().IsDir()) return Err(Errno::kENOTDIR);
  ctx.start = dir->path();
  return ctx;
}

}  // namespace bulwark::vfs

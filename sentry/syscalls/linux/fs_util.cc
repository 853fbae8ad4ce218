#include "sentry/syscalls/linux/fs_util.h"

#include <fcntl.h>

namespace bulwark::syscalls {

SysResult<std::shared_ptr<vfs::FileDescription>> GetFile(Task& t, int fd, bool allow_path) {
  std::shared_ptr<vfs::FileDescription> f = TRY(t.fds().Get(fd));
  if (!allow_path && (f->flags() & O_PATH)) return Err(Errno::kEBADF);
  return f;
}

SysResult<void> CheckFdAvailable(Task& t) {
  uint64_t limit = FdLimit(t);
  uint64_t below = 0;
  for (const auto& [fd, entry] : t.fds().entries()) {
    if (static_cast<uint64_t>(fd) >= limit) break;
    ++below;
  }
  if (below >= limit) return Err(Errno::kEMFILE);
  return {};
}

SysResult<vfs::Path> ResolveAt(Task& t, int dirfd, const std::string& path, unsigned flags) {
  vfs::ResolveContext ctx = TRY(vfs::TaskContext(t, dirfd, path));
  return vfs::Resolve(ctx, path, flags);
}

SysResult<std::shared_ptr<vfs::FileDescription>> EmptyPathFile(Task& t, int dirfd) {
  if (dirfd == AT_FDCWD) return std::make_shared<vfs::FileDescription>(t.fs().cwd, O_PATH);
  return GetFile(t, dirfd, /*allow_path=*/true);
}

}  // namespace bulwark::syscalls

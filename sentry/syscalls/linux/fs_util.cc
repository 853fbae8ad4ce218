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

SysResult<std::vector<iovec>> TranslateUserIov(Task& t, const std::vector<iovec>& user_iov,
                                               size_t skip, bool write) {
  std::vector<iovec> out;
  for (const iovec& u : user_iov) {
    if (skip >= u.iov_len) {
      skip -= u.iov_len;
      continue;
    }
    uint64_t addr = reinterpret_cast<uint64_t>(u.iov_base) + skip;
    size_t len = u.iov_len - skip;
    skip = 0;
    auto r = t.mm().Translate(addr, len, write);
    if (!r) {
      if (out.empty()) return Err(r.error());
      break;
    }
    size_t got = vfs::TotalLength(*r);
    out.insert(out.end(), r->begin(), r->end());
    if (got < len) break;
  }
  return out;
}

}  // namespace bulwark::syscalls

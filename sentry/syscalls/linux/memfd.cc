// memfd_create(2).
#include <linux/memfd.h>

#include "sentry/fsimpl/memfs/shmem.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_memfd.h"

namespace bulwark::syscalls {

namespace {
constexpr size_t kMfdNameMax = 249;  // NAME_MAX - strlen("memfd:")
}  // namespace

// Hugetlb memfds are EINVAL (MFD_HUGETLB: no hugetlbfs here); MFD_EXEC and
// MFD_NOEXEC_SEAL (Linux 6.3) are not known either, as on older kernels.
SysResult<int> sys_memfd_create(Task& t, UserCString uname, unsigned flags) {
  if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING)) return Err(Errno::kEINVAL);
  // strncpy_from_user(name, MFD_NAME_MAX_LEN + 1): longer names are EINVAL.
  auto name = t.CopyInString(uname, kMfdNameMax + 1);
  if (!name) return Err(name.error() == Errno::kENAMETOOLONG ? Errno::kEINVAL : name.error());
  if (name->size() > kMfdNameMax) return Err(Errno::kEINVAL);
  TRY(CheckFdAvailable(t));
  std::shared_ptr<vfs::FileDescription> f =
      TRY(fsimpl::memfs::CreateMemfd(t, *name, (flags & MFD_ALLOW_SEALING) != 0));
  return t.fds().Install(std::move(f), (flags & MFD_CLOEXEC) != 0, FdLimit(t));
}

}  // namespace bulwark::syscalls

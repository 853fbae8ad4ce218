#include "sentry/vfs/inode.h"

#include "sentry/vfs/mount.h"

namespace bulwark::vfs {

std::optional<SysResult<Path>> Inode::FollowMagicLink(kernel::Task& task) { return std::nullopt; }

}  // namespace bulwark::vfs

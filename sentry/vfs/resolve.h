// Path resolution: the one place where paths become (mount, dentry) pairs.
//
// Every walk is confined to ResolveContext::root: ".." at the root stays at
// the root, and absolute paths and absolute symlink targets start over at
// the root, never at the host's or the sandbox's real root. Mounts are
// crossed downwards when a walk reaches a mountpoint and upwards when ".."
// leaves a mount's root. Guarded by the kernel lock.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "sentry/kernel/credentials.h"
#include "sentry/vfs/mount.h"

namespace bulwark::kernel {
class Task;
}

namespace bulwark::vfs {

// SYMLOOP_MAX: symlinks followed in one resolution (path_resolution(7)).
inline constexpr int kMaxSymlinks = 40;

struct ResolveContext {
  Path root;   // "/" of the walk and the limit of ".."
  Path start;  // where relative paths begin
  // Whose permissions apply (fsuid, fsgid, groups, capabilities); nullptr
  // skips permission checks (kernel-internal walks).
  const kernel::Credentials* creds = nullptr;
  // Resolves magic links (procfs); may be null, then every symlink is
  // followed by its text.
  kernel::Task* task = nullptr;
  // Mounts to cross; nullptr: no mount is ever crossed.
  const MountTable* mounts = nullptr;
  // Applied to the mode of created files (FsContext::umask).
  uint32_t umask = 0;
};

// Resolution flags.
inline constexpr unsigned kFollow = 1u << 0;        // follow a symlink in the final component
inline constexpr unsigned kDirectory = 1u << 1;     // the result must be a directory (ENOTDIR)
inline constexpr unsigned kNoXdev = 1u << 2;        // RESOLVE_NO_XDEV: crossing a mount is EXDEV
inline constexpr unsigned kNoMagicLinks = 1u << 3;  // RESOLVE_NO_MAGICLINKS: ELOOP
inline constexpr unsigned kNoSymlinks = 1u << 4;    // RESOLVE_NO_SYMLINKS: ELOOP
inline constexpr unsigned kBeneath = 1u << 5;       // RESOLVE_BENEATH: leaving ctx.root is EXDEV
inline constexpr unsigned kCachedOnly = 1u << 6;    // RESOLVE_CACHED: EAGAIN if a lookup is needed

// What the final component of a path is (nameidata's last_type).
enum class LastType { kNormal, kDot, kDotDot, kRoot };

struct ParentAndName {
  Path parent;          // the directory holding the final component
  std::string name;     // the final component; empty for kRoot
  LastType type = LastType::kNormal;
  bool trailing_slash = false;  // the path ended in '/' after `name`
};

// Resolves `path` (not empty: AT_EMPTY_PATH is the caller's business).
// A trailing slash implies kFollow and kDirectory.
SysResult<Path> Resolve(const ResolveContext& ctx, std::string_view path, unsigned flags);

// Resolves all but the final component of `path`, which must be searchable
// (for create, unlink, rename, link). The final component is not looked up;
// callers map LastType to their own errno (mkdir "." is EEXIST, rmdir "."
// EINVAL, rmdir ".." ENOTEMPTY, rename EBUSY ...).
SysResult<ParentAndName> ResolveParent(const ResolveContext& ctx, std::string_view path,
                                       unsigned flags);

// For open(O_CREAT): where the final component is and, if it exists, what
// it resolves to. With kFollow a final symlink is followed (sharing the
// symlink budget) and `where` becomes the link target's final component, so
// a dangling link creates its target, as open(2) does. A final component
// with a trailing slash is EISDIR.
struct CreateTarget {
  ParentAndName where;
  Path existing;  // valid() iff the final component exists
};
SysResult<CreateTarget> ResolveForCreate(const ResolveContext& ctx, std::string_view path,
                                         unsigned flags);

// Looks up one component `name` (not "." or "..") in directory `dir`,
// crossing into a mount stacked on the result. Checks search permission on
// `dir`. ENOENT if it does not exist.
SysResult<Path> LookupChild(const ResolveContext& ctx, const Path& dir, std::string_view name,
                            unsigned flags = 0);

// The context for a task's syscall on `path` relative to `dirfd` (AT_FDCWD
// or an fd of a directory; ENOTDIR for another file, EBADF for a bad fd).
// dirfd is ignored for absolute paths, like Linux.
SysResult<ResolveContext> TaskContext(kernel::Task& t, int dirfd, std::string_view path);

}  // namespace bulwark::vfs

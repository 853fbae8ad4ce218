// shmem features of memfs regular files used by the file and memory
// syscalls: fallocate, MAP_SHARED backing, memfd_create and seals.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/result.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"

namespace bulwark::fsimpl::memfs {

// True if `f` is an open memfs regular file (tmpfs, /dev/shm, memfd, the
// root overlay's upper files).
bool IsMemFile(const vfs::FileDescription& f);

// fallocate(2) on a memfs regular file (see FileInode::Allocate); copies
// an overlay file up first. EOPNOTSUPP for other files.
SysResult<void> Fallocate(kernel::Task& t, vfs::FileDescription& f, int mode, uint64_t off,
                          uint64_t len);

// The memory-file range holding a memfs file's data, at least `end` bytes
// long: MAP_SHARED mappings map it so that they share pages with the file
// and with each other. ENODEV for other files.
SysResult<std::shared_ptr<mm::Backing>> SharedBackingOf(kernel::Task& t, vfs::FileDescription& f,
                                                        mm::MemoryFile& mf, uint64_t end);

// The lower (image) file that a read-only description of an overlay file
// reads from while the file is not copied up, or null. Private read-only
// mappings map its page cache (as overlayfs maps the lower inode's pages;
// like there, they do not follow a later copy-up).
std::shared_ptr<vfs::FileDescription> UncopiedLowerOf(vfs::FileDescription& f);

// memfd_create(2): a new unnamed memfs file opened O_RDWR | `flags`
// (O_CLOEXEC is the caller's), named "/memfd:NAME (deleted)" in
// /proc/<pid>/fd. Seals start empty when `allow_sealing`, else F_SEAL_SEAL.
SysResult<std::shared_ptr<vfs::FileDescription>> CreateMemfd(kernel::Task& t,
                                                             const std::string& name,
                                                             bool allow_sealing);

// open(O_TMPFILE) in the directory `dir` (already resolved and checked
// for write and search permission): an unnamed regular file of dir's
// filesystem with `mode` (umask applied by the caller), opened with
// `flags`. EOPNOTSUPP unless `dir` is a memfs directory. The description's
// path is a dead dentry "#INO" under `dir`, as Linux names it in
// /proc/<pid>/fd.
SysResult<std::shared_ptr<vfs::FileDescription>> OpenTmpfile(kernel::Task& t, const vfs::Path& dir,
                                                             uint32_t mode, int flags);

// F_GET_SEALS / F_ADD_SEALS (memfd_fcntl()): EINVAL for files that are not
// memfs files; EPERM once F_SEAL_SEAL is set; F_SEAL_WRITE needs a
// writable description (EPERM... as Linux: EPERM without FMODE_WRITE).
SysResult<int> GetSeals(vfs::FileDescription& f);
// The inode of a memfs file description (memfds have no path), or nullptr.
std::shared_ptr<vfs::Inode> MemFileInode(vfs::FileDescription& f);
SysResult<void> AddSeals(vfs::FileDescription& f, int seals);

}  // namespace bulwark::fsimpl::memfs

// Host filesystem helpers of the gofer server. All of them act relative to
// fds; none follows a symlink.
#pragma once

#include <sys/stat.h>

#include <cerrno>
#include <span>

#include <string>
#include <string_view>
#include <utility>

#include "base/result.h"
#include "base/unique_fd.h"
#include "gofer/protocol.h"

namespace bulwark::gofer {

// A fid's name now refers to a different file (base/errno.h lacks ESTALE).
inline constexpr Errno kEstale = FromInt(ESTALE);

Stat ToStat(const struct stat& st);

// Attributes of the file `fd` refers to (an O_PATH fd is fine).
SysResult<struct stat> StatFd(int fd);

// Checks that `name` is one path component: EINVAL when it is empty, "." or
// "..", or holds '/' or NUL; ENAMETOOLONG beyond kMaxName bytes.
SysResult<std::string> CheckName(std::string_view name);

// Checks a symlink target: not empty, no NUL, at most kMaxSymlinkTarget.
SysResult<std::string> CheckSymlinkTarget(std::string_view target);

// openat(dirfd, name, O_PATH|O_NOFOLLOW|O_CLOEXEC) and its attributes.
SysResult<std::pair<UniqueFd, struct stat>> OpenPath(int dirfd, const std::string& name);

// chmod of the file behind the O_PATH fd `path_fd` of type `type` (S_IFMT),
// without following it when it is a symlink (which gets EOPNOTSUPP).
SysResult<void> ChmodPath(int path_fd, uint32_t type, uint32_t mode);

// getdents64 into `buf`, parsed and appended as protocol DirEntries to `out`,
// skipping "." and "..". Returns the number appended and sets `*next_cookie`
// to the offset after the last entry read; 0 entries and an unchanged cookie
// mean the end of the directory. Precondition: `out` has room for
// buf.size() more bytes (an encoded entry is smaller than its dirent64).
SysResult<uint32_t> ReadDirents(int dirfd, std::span<uint8_t> buf, Writer& out,
                                uint64_t* next_cookie);

}  // namespace bulwark::gofer

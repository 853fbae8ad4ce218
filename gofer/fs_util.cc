#include "gofer/fs_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

namespace bulwark::gofer {

Stat ToStat(const struct stat& st) {
  Stat s;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.mode = st.st_mode;
  s.nlink = st.st_nlink > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(st.st_nlink);
  s.uid = st.st_uid;
  s.gid = st.st_gid;
  s.rdev = st.st_rdev;
  s.size = static_cast<uint64_t>(st.st_size);
  s.blksize = static_cast<uint32_t>(st.st_blksize);
  s.blocks = static_cast<uint64_t>(st.st_blocks);
  s.atime = st.st_atim;
  s.mtime = st.st_mtim;
  s.ctime = st.st_ctim;
  return s;
}

SysResult<struct stat> StatFd(int fd) {
  struct stat st;
  if (::fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) return Err(HostErrno());
  return st;
}

SysResult<std::string> CheckName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return Err(Errno::kEINVAL);
  if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return Err(Errno::kEINVAL);
  }
  if (name.size() > kMaxName) return Err(Errno::kENAMETOOLONG);
  return std::string(name);
}

SysResult<std::string> CheckSymlinkTarget(std::string_view target) {
  if (target.empty() || target.find('\0') != std::string_view::npos) {
    return Err(Errno::kEINVAL);
  }
  if (target.size() > kMaxSymlinkTarget) return Err(Errno::kENAMETOOLONG);
  return std::string(target);
}

SysResult<std::pair<UniqueFd, struct stat>> OpenPath(int dirfd, const std::string& name) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return Err(HostErrno());
  struct stat st = TRY(StatFd(fd.get()));
  return std::pair<UniqueFd, struct stat>(std::move(fd), st);
}

SysResult<void> ChmodPath(int path_fd, uint32_t type, uint32_t mode) {
  if (::syscall(SYS_fchmodat2, path_fd, "", mode, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0) {
    return {};
  }
  if (errno != ENOSYS) return Err(HostErrno());
  // Before Linux 6.6 an O_PATH fd cannot be chmod'ed; directories can be
  // reopened through ".", other files would need their parent.
  if (type != S_IFDIR) return Err(Errno::kEOPNOTSUPP);
  UniqueFd dir(::openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return Err(HostErrno());
  if (::fchmod(dir.get(), mode) < 0) return Err(HostErrno());
  return {};
}

SysResult<uint32_t> ReadDirents(int dirfd, std::span<uint8_t> buf, Writer& out,
                                uint64_t* next_cookie) {
  constexpr size_t kNameOffset = offsetof(struct dirent64, d_name);
  uint32_t count = 0;
  while (count == 0) {
    ssize_t n = ::getdents64(dirfd, buf.data(), buf.size());
    if (n < 0) return Err(HostErrno());
    if (n == 0) break;
    size_t pos = 0;
    while (pos < static_cast<size_t>(n)) {
      // Fields are copied out with memcpy: the kernel's records are aligned,
      // but this does not rely on it.
      const uint8_t* rec = buf.data() + pos;
      uint16_t reclen;
      std::memcpy(&reclen, rec + offsetof(struct dirent64, d_reclen), sizeof(reclen));
      if (reclen <= kNameOffset || reclen > static_cast<size_t>(n) - pos) {
        return Err(Errno::kEIO);
      }
      uint64_t ino;
      int64_t off;
      uint8_t type;
      std::memcpy(&ino, rec + offsetof(struct dirent64, d_ino), sizeof(ino));
      std::memcpy(&off, rec + offsetof(struct dirent64, d_off), sizeof(off));
      std::memcpy(&type, rec + offsetof(struct dirent64, d_type), sizeof(type));
      // SAFETY: the name lies within this record, [kNameOffset, reclen).
      const char* name_start = reinterpret_cast<const char*>(rec + kNameOffset);
      std::string_view name(name_start, strnlen(name_start, reclen - kNameOffset));
      pos += reclen;
      *next_cookie = static_cast<uint64_t>(off);
      if (name == "." || name == "..") continue;
      out.U64(ino);
      out.U8(type);
      out.Str(name);
      ++count;
    }
  }
  if (!out.ok()) return Err(Errno::kEIO);
  return count;
}

}  // namespace bulwark::gofer

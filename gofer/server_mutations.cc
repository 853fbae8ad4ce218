// The Server operations that modify the filesystem.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>

#include "gofer/fs_util.h"
#include "gofer/server.h"

namespace bulwark::gofer {
namespace {

constexpr int kCreateFlags = O_ACCMODE | O_TRUNC | O_APPEND | O_NONBLOCK | O_EXCL;
constexpr uint32_t kSetAttrMask = SetAttr::kMode | SetAttr::kUid | SetAttr::kGid |
                                  SetAttr::kSize | SetAttr::kAtime | SetAttr::kMtime |
                                  SetAttr::kAtimeNow | SetAttr::kMtimeNow;

// Removes a half-made entry after a later step failed and returns `err`.
std::unexpected<Errno> Undo(int dirfd, const std::string& name, int flags, Errno err) {
  ::unlinkat(dirfd, name.c_str(), flags);
  return Err(err);
}

SysResult<void> Chown(int path_fd, uint32_t uid, uint32_t gid) {
  if (::fchownat(path_fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
    return Err(HostErrno());
  }
  return {};
}

}  // namespace

// Create is always exclusive: the caller walks first, so chown and chmod
// below can only ever apply to the file created here.
SysResult<void> Server::DoCreate(Reader& in, Writer& out, UniqueFd* donate) {
  uint64_t dir_id = in.U64();
  std::string_view name = in.Str();
  uint32_t flags = in.U32();
  uint32_t mode = in.U32();
  uint32_t uid = in.U32();
  uint32_t gid = in.U32();
  if (!in.done()) return Err(Errno::kEINVAL);
  Fid* dir = TRY(LookupWritableDir(dir_id));
  std::string checked = TRY(CheckName(name));
  int oflags = static_cast<int>(flags);
  if ((oflags & ~kCreateFlags) != 0 || (oflags & O_ACCMODE) == O_ACCMODE || (mode & ~07777)) {
    return Err(Errno::kEINVAL);
  }
  if (fids_.size() >= options_.max_fids) return Err(Errno::kENFILE);
  int dirfd = dir->fd->get();
  // Mode 0 until the owner is right, so that nobody else can open it.
  UniqueFd file(::openat(dirfd, checked.c_str(),
                         oflags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0));
  if (!file) return Err(HostErrno());
  if (::fchown(file.get(), uid, gid) < 0 || ::fchmod(file.get(), mode) < 0) {
    return Undo(dirfd, checked, 0, HostErrno());
  }
  auto path = OpenPath(dirfd, checked);
  if (!path) return Undo(dirfd, checked, 0, path.error());
  auto opened = StatFd(file.get());
  if (!opened) return Undo(dirfd, checked, 0, opened.error());
  if (opened->st_ino != path->second.st_ino || opened->st_dev != path->second.st_dev) {
    return Err(kEstale);
  }
  TRY(AddChild(*dir, checked, std::move(path->first), path->second, out));
  *donate = std::move(file);
  return {};
}

SysResult<void> Server::DoMkdir(Reader& in, Writer& out) {
  uint64_t dir_id = in.U64();
  std::string_view name = in.Str();
  uint32_t mode = in.U32();
  uint32_t uid = in.U32();
  uint32_t gid = in.U32();
  if (!in.done()) return Err(Errno::kEINVAL);
  Fid* dir = TRY(LookupWritableDir(dir_id));
  std::string checked = TRY(CheckName(name));
  if (mode & ~07777) return Err(Errno::kEINVAL);
  if (fids_.size() >= options_.max_fids) return Err(Errno::kENFILE);
  int dirfd = dir->fd->get();
  if (::mkdirat(dirfd, checked.c_str(), 0) < 0) return Err(HostErrno());
  auto path = OpenPath(dirfd, checked);
  if (!path) return Undo(dirfd, checked, AT_REMOVEDIR, path.error());
  auto done = Chown(path->first.get(), uid, gid);
  if (done) done = ChmodPath(path->first.get(), S_IFDIR, mode);
  if (!done) return Undo(dirfd, checked, AT_REMOVEDIR, done.error());
  auto st = StatFd(path->first.get());
  if (!st) return Undo(dirfd, checked, AT_REMOVEDIR, st.error());
  return AddChild(*dir, checked, std::move(path->first), *st, out);
}

// Device nodes, FIFOs and sockets are not created on the host: the sentry
// keeps such files in its own filesystems.
SysResult<void> Server::DoMknod(Reader& in, Writer& out) {
  uint64_t dir_id = in.U64();
  std::string_view name = in.Str();
  in.U32();  // mode
  in.U64();  // rdev
  in.U32();  // uid
  in.U32();  // gid
  if (!in.done()) return Err(Errno::kEINVAL);
  TRY(LookupWritableDir(dir_id));
  TRY(CheckName(name));
  return Err(Errno::kEPERM);
}

SysResult<void> Server::DoSymlink(Reader& in, Writer& out) {
  uint64_t dir_id = in.U64();
  std::string_view name = in.Str();
  std::string_view target = in.Str();
  uint32_t uid = in.U32();
  uint32_t gid = in.U32();
  if (!in.done()) return Err(Errno::kEINVAL);
  Fid* dir = TRY(LookupWritableDir(dir_id));
  std::string checked = TRY(CheckName(name));
  std::string checked_target = TRY(CheckSymlinkTarget(target));
  if (fids_.size() >= options_.max_fids) return Err(Errno::kENFILE);
  int dirfd = dir->fd->get();
  if (::symlinkat(checked_target.c_str(), dirfd, checked.c_str()) < 0) return Err(HostErrno());
  auto path = OpenPath(dirfd, checked);
  if (!path) return Undo(dirfd, checked, 0, path.error());
  auto done = Chown(path->first.get(), uid, gid);
  if (!done) return Undo(dirfd, checked, 0, done.error());
  auto st = StatFd(path->first.get());
  if (!st) return Undo(dirfd, checked, 0, st.error());
  return AddChild(*dir, checked, std::move(path->first), *st, out);
}

SysResult<void> Server::DoLink(Reader& in, Writer& out) {
  uint64_t dir_id = in.U64();
  std::string_view name = in.Str();
  uint64_t target_id = in.U64();
  if (!in.done()) return Err(Errno::kEINVAL);
  Fid* dir = TRY(LookupWritableDir(dir_id));
  Fid* target = TRY(Lookup(target_id));
  std::string checked = TRY(CheckName(name));
  if (target->attach != dir->attach) return Err(Errno::kEXDEV);
  if (target->type == S_IFDIR) return Err(Errno::kEPERM);
  // AT_EMPTY_PATH links the inode itself (needs CAP_DAC_READ_SEARCH).
  if (::linkat(target->fd->get(), "", dir->fd->get(), checked.c_str(), AT_EMPTY_PATH) < 0) {
    return Err(HostErrno());
  }
  struct stat st = TRY(StatFd(target->fd->get()));
  out.PutStat(ToStat(st));
  return {};
}

SysResult<void> Server::DoUnlink(Reader& in, Writer& out) {
  uint64_t dir_id = in.U64();
  std::string_view name = in.Str();
  uint32_t flags = in.U32();
  if (!in.done()) return Err(Errno::kEINVAL);
  Fid* dir = TRY(LookupWritableDir(dir_id));
  std::string checked = TRY(CheckName(name));
  if ((flags & ~static_cast<uint32_t>(AT_REMOVEDIR)) != 0) return Err(Errno::kEINVAL);
  if (::unlinkat(dir->fd->get(), checked.c_str(), static_cast<int>(flags)) < 0) {
    return Err(HostErrno());
  }
  return {};
}

SysResult<void> Server::DoRename(Reader& in, Writer& out) {
  uint64_t old_dir_id = in.U64();
  std::string_view old_name = in.Str();
  uint64_t new_dir_id = in.U64();
  std::string_view new_name = in.Str();
  uint32_t flags = in.U32();
  if (!in.done()) return Err(Errno::kEINVAL);
  Fid* old_dir = TRY(LookupWritableDir(old_dir_id));
  Fid* new_dir = TRY(LookupWritableDir(new_dir_id));
  std::string old_checked = TRY(CheckName(old_name));
  std::string new_checked = TRY(CheckName(new_name));
  if (old_dir->attach != new_dir->attach) return Err(Errno::kEXDEV);
  if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0) return Err(Errno::kEINVAL);
  if (::renameat2(old_dir->fd->get(), old_checked.c_str(), new_dir->fd->get(),
                  new_checked.c_str(), flags) < 0) {
    return Err(HostErrno());
  }
  // Fids walked from these directory fids keep naming their files. Fids of
  // the same files reached through other directory fids get ESTALE on Open
  // and must be walked again. Linear in the fid count; renames are rare.
  SharedFd old_parent = old_dir->fd;
  SharedFd new_parent = new_dir->fd;
  bool exchange = (flags & RENAME_EXCHANGE) != 0;
  for (auto& [id, fid] : fids_) {
    if (fid.parent == old_parent && fid.name == old_checked) {
      fid.parent = new_parent;
      fid.name = new_checked;
    } else if (exchange && fid.parent == new_parent && fid.name == new_checked) {
      fid.parent = old_parent;
      fid.name = old_checked;
    }
  }
  return {};
}

// Applied in the order chown, chmod, truncate, times (so that truncation
// does not overwrite the requested mtime). A failure leaves the earlier
// changes in place.
SysResult<void> Server::DoSetAttr(Reader& in, Writer& out) {
  uint64_t id = in.U64();
  SetAttr attr = in.GetSetAttr();
  if (!in.done()) return Err(Errno::kEINVAL);
  Fid* fid = TRY(Lookup(id));
  if ((attr.mask & ~kSetAttrMask) != 0) return Err(Errno::kEINVAL);
  if (read_only_[fid->attach]) return Err(Errno::kEROFS);
  int fd = fid->fd->get();
  if (attr.mask & (SetAttr::kUid | SetAttr::kGid)) {
    uint32_t uid = (attr.mask & SetAttr::kUid) ? attr.uid : static_cast<uint32_t>(-1);
    uint32_t gid = (attr.mask & SetAttr::kGid) ? attr.gid : static_cast<uint32_t>(-1);
    TRY(Chown(fd, uid, gid));
  }
  if (attr.mask & SetAttr::kMode) {
    if (attr.mode & ~07777) return Err(Errno::kEINVAL);
    TRY(ChmodPath(fd, fid->type, attr.mode));
  }
  if (attr.mask & SetAttr::kSize) {
    if (fid->type == S_IFDIR) return Err(Errno::kEISDIR);
    if (fid->type != S_IFREG) return Err(Errno::kEINVAL);
    if (attr.size > static_cast<uint64_t>(LLONG_MAX)) return Err(Errno::kEINVAL);
    UniqueFd file = TRY(OpenFid(*fid, O_WRONLY));
    if (::ftruncate(file.get(), static_cast<off_t>(attr.size)) < 0) return Err(HostErrno());
  }
  if (attr.mask & (SetAttr::kAtime | SetAttr::kMtime | SetAttr::kAtimeNow | SetAttr::kMtimeNow)) {
    timespec times[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
    if (attr.mask & SetAttr::kAtimeNow) {
      times[0].tv_nsec = UTIME_NOW;
    } else if (attr.mask & SetAttr::kAtime) {
      times[0] = attr.atime;
    }
    if (attr.mask & SetAttr::kMtimeNow) {
      times[1].tv_nsec = UTIME_NOW;
    } else if (attr.mask & SetAttr::kMtime) {
      times[1] = attr.mtime;
    }
    if (::utimensat(fd, "", times, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
      return Err(HostErrno());
    }
  }
  struct stat st = TRY(StatFd(fd));
  out.PutStat(ToStat(st));
  return {};
}

}  // namespace bulwark::gofer

// Extended attributes (xattr(7)).
//
// memfs (tmpfs, /dev/shm, the root overlay's upper layer, memfds) keeps
// user.*, trusted.* and security.* attributes in memory, as tmpfs does.
// POSIX ACLs (system.posix_acl_*) are not implemented: EOPNOTSUPP. Other
// filesystems (gofer bind mounts and the lower image, procfs, host files)
// have no xattr support here: get/set/remove are EOPNOTSUPP and list is
// empty, which is what Linux reports for a filesystem without xattr
// handlers. An overlay file copied up does not carry the image file's
// attributes (the gofer cannot read them yet).
#include <linux/capability.h>
#include <sys/xattr.h>

#include <cstring>
#include <string_view>

#include "sentry/fsimpl/memfs/inode.h"
#include "sentry/fsimpl/memfs/shmem.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_xattr.h"
#include "sentry/vfs/permission.h"

namespace bulwark::syscalls {

namespace {

constexpr size_t kNameMax = 255;         // XATTR_NAME_MAX
constexpr size_t kSizeMax = 65536;       // XATTR_SIZE_MAX
constexpr size_t kListMax = 65536;       // XATTR_LIST_MAX

bool HasPrefix(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// What the call operates on.
struct Target {
  std::shared_ptr<vfs::Inode> inode;
  const vfs::Mount* mount = nullptr;  // nullptr for memfds
};

SysResult<Target> PathTarget(Task& t, UserCString upath, bool follow) {
  std::string path = TRY(PathArg(t, upath));
  if (path.empty()) return Err(Errno::kENOENT);
  vfs::Path p = TRY(ResolveAt(t, AT_FDCWD, path, follow ? vfs::kFollow : 0));
  return Target{p.dentry->inode(), p.mount.get()};
}

SysResult<Target> FdTarget(Task& t, int fd) {
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd));
  if (f->path().valid()) return Target{f->path().dentry->inode(), f->path().mount.get()};
  if (auto inode = fsimpl::memfs::MemFileInode(*f)) return Target{inode, nullptr};
  return Target{};  // pipes, sockets and other anonymous files
}

// The name argument: ERANGE when empty or longer than XATTR_NAME_MAX.
SysResult<std::string> NameArg(Task& t, UserCString uname) {
  auto name = t.CopyInString(uname, kNameMax + 1);
  if (!name) return Err(name.error() == Errno::kENAMETOOLONG ? Errno::kERANGE : name.error());
  if (name->empty()) return Err(Errno::kERANGE);
  return name;
}

// xattr_permission(), then the memfs handler lookup (EOPNOTSUPP for names
// tmpfs has no handler for, or for inodes of other filesystems).
SysResult<fsimpl::memfs::MemInode*> Permit(Task& t, const Target& target, std::string_view name,
                                           int may) {
  if (!target.inode) return Err(Errno::kEOPNOTSUPP);
  vfs::Stat st = TRY(target.inode->GetStat());
  const kernel::Credentials& creds = t.creds();
  bool write = (may & vfs::kMayWrite) != 0;
  if (HasPrefix(name, "trusted.")) {
    if (!creds.HasCap(CAP_SYS_ADMIN)) return Err(write ? Errno::kEPERM : Errno::kENODATA);
  } else if (HasPrefix(name, "user.")) {
    if (!S_ISREG(st.mode) && !S_ISDIR(st.mode)) return Err(write ? Errno::kEPERM : Errno::kENODATA);
    if (S_ISDIR(st.mode) && (st.mode & S_ISVTX) && write && !vfs::OwnerOrCapable(st, creds))
      return Err(Errno::kEPERM);
    TRY(vfs::CheckPermission(st, creds, may));
  } else if (!HasPrefix(name, "security.") && !HasPrefix(name, "system.")) {
    TRY(vfs::CheckPermission(st, creds, may));
  }
  auto* mem = dynamic_cast<fsimpl::memfs::MemInode*>(target.inode.get());
  if (mem == nullptr) return Err(Errno::kEOPNOTSUPP);
  bool known = HasPrefix(name, "user.") || HasPrefix(name, "trusted.") ||
               HasPrefix(name, "security.");
  if (!known) return Err(Errno::kEOPNOTSUPP);
  // cap_inode_setxattr(): security.* needs CAP_SYS_ADMIN to change.
  if (write && HasPrefix(name, "security.") && !creds.HasCap(CAP_SYS_ADMIN))
    return Err(Errno::kEPERM);
  return mem;
}

SysResult<void> DoSet(Task& t, SysResult<Target> (*resolve)(Task&, const void*), const void* arg,
                      UserCString uname, UserPtr<uint8_t> uvalue, size_t size, int flags) {
  if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) return Err(Errno::kEINVAL);
  std::string name = TRY(NameArg(t, uname));
  if (size > kSizeMax) return Err(Errno::kE2BIG);
  std::string value(size, '\0');
  if (size) TRY(t.CopyInBytes(uvalue.addr, value.data(), size));
  Target target = TRY(resolve(t, arg));
  if (target.mount && target.mount->ReadOnly()) return Err(Errno::kEROFS);
  fsimpl::memfs::MemInode* mem = TRY(Permit(t, target, name, vfs::kMayWrite));
  auto it = mem->xattrs.find(name);
  if ((flags & XATTR_CREATE) && it != mem->xattrs.end()) return Err(Errno::kEEXIST);
  if ((flags & XATTR_REPLACE) && it == mem->xattrs.end()) return Err(Errno::kENODATA);
  mem->xattrs[name] = std::move(value);
  mem->TouchCtime();
  return {};
}

SysResult<size_t> DoGet(Task& t, SysResult<Target> (*resolve)(Task&, const void*), const void* arg,
                        UserCString uname, UserPtr<uint8_t> uvalue, size_t size) {
  std::string name = TRY(NameArg(t, uname));
  Target target = TRY(resolve(t, arg));
  fsimpl::memfs::MemInode* mem = TRY(Permit(t, target, name, vfs::kMayRead));
  auto it = mem->xattrs.find(name);
  if (it == mem->xattrs.end()) return Err(Errno::kENODATA);
  size = std::min(size, kSizeMax);
  if (size == 0) return it->second.size();
  if (it->second.size() > size) return Err(Errno::kERANGE);
  TRY(t.CopyOutBytes(uvalue.addr, it->second.data(), it->second.size()));
  return it->second.size();
}

SysResult<size_t> DoList(Task& t, const Target& target, UserPtr<char> ulist, size_t size) {
  std::string out;
  if (auto* mem = dynamic_cast<fsimpl::memfs::MemInode*>(target.inode.get())) {
    bool admin = t.creds().HasCap(CAP_SYS_ADMIN);
    for (const auto& [name, value] : mem->xattrs) {
      if (HasPrefix(name, "trusted.") && !admin) continue;
      out += name;
      out += '\0';
    }
  }
  size = std::min(size, kListMax);
  if (size == 0) return out.size();
  if (out.size() > size) return Err(Errno::kERANGE);
  TRY(t.CopyOutBytes(ulist.addr, out.data(), out.size()));
  return out.size();
}

SysResult<void> DoRemove(Task& t, const Target& target, UserCString uname) {
  std::string name = TRY(NameArg(t, uname));
  if (target.mount && target.mount->ReadOnly()) return Err(Errno::kEROFS);
  fsimpl::memfs::MemInode* mem = TRY(Permit(t, target, name, vfs::kMayWrite));
  if (mem->xattrs.erase(name) == 0) return Err(Errno::kENODATA);
  mem->TouchCtime();
  return {};
}

SysResult<Target> ResolveFollow(Task& t, const void* arg) {
  return PathTarget(t, *static_cast<const UserCString*>(arg), true);
}
SysResult<Target> ResolveNoFollow(Task& t, const void* arg) {
  return PathTarget(t, *static_cast<const UserCString*>(arg), false);
}
SysResult<Target> ResolveFd(Task& t, const void* arg) {
  return FdTarget(t, *static_cast<const int*>(arg));
}

}  // namespace

SysResult<void> sys_setxattr(Task& t, UserCString path, UserCString name, UserPtr<uint8_t> value,
                             size_t size, int flags) {
  return DoSet(t, ResolveFollow, &path, name, value, size, flags);
}
SysResult<void> sys_lsetxattr(Task& t, UserCString path, UserCString name, UserPtr<uint8_t> value,
                              size_t size, int flags) {
  return DoSet(t, ResolveNoFollow, &path, name, value, size, flags);
}
SysResult<void> sys_fsetxattr(Task& t, GuestFd fd, UserCString name, UserPtr<uint8_t> value,
                              size_t size, int flags) {
  return DoSet(t, ResolveFd, &fd.value, name, value, size, flags);
}

SysResult<size_t> sys_getxattr(Task& t, UserCString path, UserCString name,
                               UserPtr<uint8_t> value, size_t size) {
  return DoGet(t, ResolveFollow, &path, name, value, size);
}
SysResult<size_t> sys_lgetxattr(Task& t, UserCString path, UserCString name,
                                UserPtr<uint8_t> value, size_t size) {
  return DoGet(t, ResolveNoFollow, &path, name, value, size);
}
SysResult<size_t> sys_fgetxattr(Task& t, GuestFd fd, UserCString name, UserPtr<uint8_t> value,
                                size_t size) {
  return DoGet(t, ResolveFd, &fd.value, name, value, size);
}

SysResult<size_t> sys_listxattr(Task& t, UserCString path, UserPtr<char> list, size_t size) {
  return DoList(t, TRY(PathTarget(t, path, true)), list, size);
}
SysResult<size_t> sys_llistxattr(Task& t, UserCString path, UserPtr<char> list, size_t size) {
  return DoList(t, TRY(PathTarget(t, path, false)), list, size);
}
SysResult<size_t> sys_flistxattr(Task& t, GuestFd fd, UserPtr<char> list, size_t size) {
  return DoList(t, TRY(FdTarget(t, fd.value)), list, size);
}

SysResult<void> sys_removexattr(Task& t, UserCString path, UserCString name) {
  return DoRemove(t, TRY(PathTarget(t, path, true)), name);
}
SysResult<void> sys_lremovexattr(Task& t, UserCString path, UserCString name) {
  return DoRemove(t, TRY(PathTarget(t, path, false)), name);
}
SysResult<void> sys_fremovexattr(Task& t, GuestFd fd, UserCString name) {
  return DoRemove(t, TRY(FdTarget(t, fd.value)), name);
}

}  // namespace bulwark::syscalls

// The sandbox's unix socket names: the abstract namespace and the sockets
// bound to filesystem socket inodes.
//
// Abstract names live here, in the sentry, so they are per sandbox: the
// host's abstract namespace is never reached. Filesystem names are socket
// inodes (created by bind through the VFS, mknod S_IFSOCK) identified by
// (st_dev, st_ino), which stays right for filesystems whose inode objects
// are not unique (gofer); the bound socket holds its inode so the pair is
// not reused while it is bound. Entries of closed sockets expire with them.
//
// Guarded by the kernel lock.
#include <cstdio>
#include <map>

#include "sentry/fsimpl/socket/unix_socket.h"
#include "sentry/vfs/inode.h"

namespace bulwark::fsimpl::socket {

namespace {

struct Names {
  std::map<Address, std::weak_ptr<UnixSocket>> abstract;
  std::map<std::pair<uint64_t, uint64_t>, std::weak_ptr<UnixSocket>> inodes;
  uint32_t ordernum = 0;  // unix_autobind()'s counter
};

Names& names() {
  static auto* n = new Names();
  return *n;
}

bool Taken(const Address& name) {
  auto it = names().abstract.find(name);
  if (it == names().abstract.end()) return false;
  if (it->second.expired()) {
    names().abstract.erase(it);
    return false;
  }
  return true;
}

}  // namespace

SysResult<void> UnixSocket::BindAbstract(const Address& name) {
  if (!addr_.empty()) return Err(Errno::kEINVAL);
  if (Taken(name)) return Err(Errno::kEADDRINUSE);
  names().abstract[name] = Weak();
  addr_ = name;
  return {};
}

SysResult<void> UnixSocket::Autobind() {
  if (!addr_.empty()) return {};
  // 2^20 names, as Linux; ENOSPC when all are in use.
  for (uint32_t tries = 0; tries < (1u << 20); ++tries) {
    uint32_t n = names().ordernum++ & 0xfffff;
    char buf[8];
    snprintf(buf, sizeof(buf), "%05x", n);
    Address name = std::string(1, '\0') + buf;
    if (!Taken(name)) {
      names().abstract[name] = Weak();
      addr_ = name;
      return {};
    }
  }
  return Err(Errno::kENOSPC);
}

SysResult<void> UnixSocket::BindInode(std::shared_ptr<vfs::Inode> inode, const vfs::Stat& st,
                                      const Address& name) {
  if (!addr_.empty()) return Err(Errno::kEINVAL);
  names().inodes[{st.dev, st.ino}] = Weak();
  bound_inode_ = std::move(inode);
  addr_ = name;
  return {};
}

std::shared_ptr<UnixSocket> UnixSocket::FindAbstract(const Address& name) {
  auto it = names().abstract.find(name);
  if (it == names().abstract.end()) return nullptr;
  std::shared_ptr<UnixSocket> s = it->second.lock();
  if (!s) names().abstract.erase(it);
  return s;
}

std::shared_ptr<UnixSocket> UnixSocket::FindInode(const vfs::Stat& st) {
  auto it = names().inodes.find({st.dev, st.ino});
  if (it == names().inodes.end()) return nullptr;
  std::shared_ptr<UnixSocket> s = it->second.lock();
  if (!s) names().inodes.erase(it);
  return s;
}

}  // namespace bulwark::fsimpl::socket

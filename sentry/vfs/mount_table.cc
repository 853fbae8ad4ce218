#include <sys/mount.h>

#include <algorithm>

#include "sentry/vfs/mount.h"

namespace bulwark::vfs {

bool Mount::ReadOnly() const { return (flags_ & MS_RDONLY) != 0; }

// The order of show_sb_opts() and show_mnt_opts() in fs/proc_namespace.c.
std::string Mount::OptionsString() const {
  std::string s = ReadOnly() ? "ro" : "rw";
  if (flags_ & MS_SYNCHRONOUS) s += ",sync";
  if (flags_ & MS_DIRSYNC) s += ",dirsync";
  if (flags_ & MS_NOSUID) s += ",nosuid";
  if (flags_ & MS_NODEV) s += ",nodev";
  if (flags_ & MS_NOEXEC) s += ",noexec";
  if (flags_ & MS_NOATIME) s += ",noatime";
  if (flags_ & MS_NODIRATIME) s += ",nodiratime";
  // relatime is the default unless noatime or strictatime was asked for.
  if (!(flags_ & (MS_NOATIME | MS_STRICTATIME))) s += ",relatime";
  return s;
}

void MountTable::SetRoot(std::shared_ptr<Mount> root) {
  if (root->id_ == 0) root->id_ = next_id_++;
  root_ = root;
  if (std::find(mounts_.begin(), mounts_.end(), root) == mounts_.end())
    mounts_.insert(mounts_.begin(), std::move(root));
}

void MountTable::Attach(std::shared_ptr<Mount> m, const Path& where) {
  Path at = where;
  // Stack on top of whatever is already mounted there.
  while (auto top = MountedAt(at)) at = Path{top, top->root()};
  m->parent = at.mount;
  m->mountpoint = at.dentry;
  m->id_ = next_id_++;
  by_mountpoint_[{at.mount.get(), at.dentry.get()}] = m;
  mounts_.push_back(std::move(m));
}

std::shared_ptr<Mount> MountTable::MountedAt(const Path& where) const {
  std::shared_ptr<Mount> top;
  const Mount* mnt = where.mount.get();
  const Dentry* dentry = where.dentry.get();
  for (;;) {
    auto it = by_mountpoint_.find({mnt, dentry});
    if (it == by_mountpoint_.end()) return top;
    top = it->second;
    mnt = top.get();
    dentry = top->root().get();
  }
}

SysResult<void> MountTable::Detach(const std::shared_ptr<Mount>& m, bool lazy) {
  if (m == root_) return Err(Errno::kEBUSY);
  auto it = std::find(mounts_.begin(), mounts_.end(), m);
  if (it == mounts_.end()) return Err(Errno::kEINVAL);
  std::vector<std::shared_ptr<Mount>> children;
  for (const auto& c : mounts_)
    if (c->parent == m) children.push_back(c);
  if (!children.empty() && !lazy) return Err(Errno::kEBUSY);
  for (const auto& c : children) TRY(Detach(c, true));
  by_mountpoint_.erase({m->parent.get(), m->mountpoint.get()});
  std::erase(mounts_, m);
  return {};
}

std::string MountTable::PathString(const Path& p, const Path& root) const {
  std::vector<const std::string*> names;
  Path cur = p;
  bool reachable = true;
  while (!(cur == root)) {
    if (cur.dentry == cur.mount->root() || !cur.dentry->parent()) {
      if (!cur.mount->parent) {
        reachable = false;  // reached the top without passing `root`
        break;
      }
      cur = Path{cur.mount->parent, cur.mount->mountpoint};
      continue;
    }
    names.push_back(&cur.dentry->name());
    cur = Path{cur.mount, cur.dentry->parent()};
  }
  std::string s = reachable ? "" : "(unreachable)";
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    s += '/';
    s += **it;
  }
  if (names.empty()) s += '/';
  if (p.dentry->dead()) s += " (deleted)";
  return s;
}

}  // namespace bulwark::vfs

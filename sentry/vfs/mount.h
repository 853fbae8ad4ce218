// Dentries, mounts and paths.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "sentry/vfs/inode.h"

namespace bulwark::vfs {

class Mount;

// A name in the dentry tree. The tree caches lookups: children are kept
// while the filesystem is mounted (no eviction yet). Guarded by the kernel
// lock.
class Dentry : public std::enable_shared_from_this<Dentry> {
 public:
  Dentry(std::string name, std::shared_ptr<Dentry> parent, std::shared_ptr<Inode> inode)
      : name_(std::move(name)), parent_(std::move(parent)), inode_(std::move(inode)) {}
  // An unlinked name's last user is gone: IN_DELETE_SELF if that was the
  // inode's last link (vfs/fsnotify.h).
  ~Dentry();

  const std::string& name() const { return name_; }
  // nullptr for a filesystem's root.
  const std::shared_ptr<Dentry>& parent() const { return parent_; }
  const std::shared_ptr<Inode>& inode() const { return inode_; }
  Inode& ino() const { return *inode_; }
  // True once unlinked or replaced by a rename; getcwd reports "(deleted)".
  bool dead() const { return dead_; }

  // Cached child, or nullptr.
  std::shared_ptr<Dentry> CachedChild(const std::string& name) const;
  // Looks `name` up (cache, then the inode) and caches the result.
  SysResult<std::shared_ptr<Dentry>> Child(const std::string& name);
  // Cache maintenance after a successful operation on the inode.
  std::shared_ptr<Dentry> AddChild(const std::string& name, std::shared_ptr<Inode> inode);
  void RemoveChild(const std::string& name);
  // Moves a cached child to new_parent/new_name (after a rename).
  static void MoveChild(Dentry& old_parent, const std::string& old_name, Dentry& new_parent,
                        const std::string& new_name);
  // Swaps two cached children (after a RENAME_EXCHANGE).
  static void ExchangeChildren(Dentry& a_parent, const std::string& a_name, Dentry& b_parent,
                               const std::string& b_name);

 private:
  std::string name_;
  std::shared_ptr<Dentry> parent_;
  std::shared_ptr<Inode> inode_;
  bool dead_ = false;
  std::map<std::string, std::shared_ptr<Dentry>, std::less<>> children_;
};

// A mounted filesystem instance.
class Mount {
 public:
  Mount(std::shared_ptr<Dentry> root, std::string fs_type, std::string source, int flags)
      : root_(std::move(root)), fs_type_(std::move(fs_type)), source_(std::move(source)),
        flags_(flags) {}
  const std::shared_ptr<Dentry>& root() const { return root_; }
  const std::string& fs_type() const { return fs_type_; }
  const std::string& source() const { return source_; }
  int flags() const { return flags_; }  // MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC
  bool ReadOnly() const;
  // Mount options as shown in /proc/mounts ("rw,nosuid,...").
  std::string OptionsString() const;
  uint64_t id() const { return id_; }

  // Set by MountTable::Attach.
  std::shared_ptr<Mount> parent;
  std::shared_ptr<Dentry> mountpoint;

 private:
  friend class MountTable;
  std::shared_ptr<Dentry> root_;
  std::string fs_type_, source_;
  int flags_;
  uint64_t id_ = 0;
};

// A (mount, dentry) pair: a location in the tree (Linux's struct path).
struct Path {
  std::shared_ptr<Mount> mount;
  std::shared_ptr<Dentry> dentry;
  bool valid() const { return mount && dentry; }
  Inode& ino() const { return dentry->ino(); }
  bool operator==(const Path& o) const { return mount == o.mount && dentry == o.dentry; }
};

// The mount namespace of the sandbox.
class MountTable {
 public:
  // Sets the root mount.
  void SetRoot(std::shared_ptr<Mount> root);
  const std::shared_ptr<Mount>& root() const { return root_; }
  Path RootPath() const { return Path{root_, root_->root()}; }
  // Mounts `m` on `where` (stacking over an existing mount there).
  void Attach(std::shared_ptr<Mount> m, const Path& where);
  // The mount stacked topmost on `where`, or nullptr.
  std::shared_ptr<Mount> MountedAt(const Path& where) const;
  // Removes `m` (must have no child mounts unless detach).
  SysResult<void> Detach(const std::shared_ptr<Mount>& m, bool lazy);
  // Mounts in mount order (for /proc/mounts).
  const std::vector<std::shared_ptr<Mount>>& All() const { return mounts_; }
  // Absolute path of `p` relative to `root`, as getcwd and /proc/*/fd show
  // it; "(unreachable)" prefix and " (deleted)" suffix like Linux.
  std::string PathString(const Path& p, const Path& root) const;

 private:
  std::shared_ptr<Mount> root_;
  std::vector<std::shared_ptr<Mount>> mounts_;
  std::map<std::pair<const Mount*, const Dentry*>, std::shared_ptr<Mount>> by_mountpoint_;
  uint64_t next_id_ = 1;
};

}  // namespace bulwark::vfs

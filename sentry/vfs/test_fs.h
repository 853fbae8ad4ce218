// A tiny in-memory filesystem for VFS unit tests (not the real memfs):
// directories, regular files (size only) and symlinks, with just enough
// behaviour for resolution and the VFS operations.
#pragma once

#include <linux/fs.h>

#include <map>
#include <memory>
#include <string>

#include "sentry/vfs/file.h"
#include "sentry/vfs/inode.h"
#include "sentry/vfs/mount.h"
#include "sentry/vfs/resolve.h"

namespace bulwark::vfs::testing {

class TestInode : public Inode {
 public:
  TestInode(uint32_t mode, uint32_t uid = 0, uint32_t gid = 0) : Inode(mode) {
    static uint64_t next_ino = 1;
    st_.mode = mode;
    st_.uid = uid;
    st_.gid = gid;
    st_.ino = next_ino++;
    st_.nlink = S_ISDIR(mode) ? 2 : 1;
  }

  SysResult<Stat> GetStat() override {
    Stat st = st_;
    if (S_ISLNK(st.mode)) st.size = target_.size();
    return st;
  }
  SysResult<void> SetStat(const SetStatRequest& req) override {
    using R = SetStatRequest;
    if (req.mask & R::kSize) st_.size = req.size;
    if (req.mask & R::kMode) st_.mode = (st_.mode & S_IFMT) | (req.mode & 07777);
    if (req.mask & R::kUid) st_.uid = req.uid;
    if (req.mask & R::kGid) st_.gid = req.gid;
    ++setstat_calls;
    return {};
  }
  SysResult<std::shared_ptr<Inode>> Lookup(std::string_view name) override {
    ++lookups;
    auto it = entries_.find(std::string(name));
    if (it == entries_.end()) return Err(Errno::kENOENT);
    return std::shared_ptr<Inode>(it->second);
  }
  SysResult<std::vector<DirEntry>> ReadDir() override {
    std::vector<DirEntry> out;
    for (auto& [name, ino] : entries_)
      out.push_back(DirEntry{ino->st_.ino, DirentType(ino->st_.mode), name});
    return out;
  }
  SysResult<std::shared_ptr<Inode>> Create(std::string_view name, uint32_t mode,
                                           const kernel::Credentials& c) override {
    return Add(name, std::make_shared<TestInode>(S_IFREG | mode, c.fsuid, c.fsgid));
  }
  SysResult<std::shared_ptr<Inode>> Mkdir(std::string_view name, uint32_t mode,
                                          const kernel::Credentials& c) override {
    return Add(name, std::make_shared<TestInode>(S_IFDIR | mode, c.fsuid, c.fsgid));
  }
  SysResult<std::shared_ptr<Inode>> Mknod(std::string_view name, uint32_t mode, uint64_t rdev,
                                          const kernel::Credentials& c) override {
    auto n = std::make_shared<TestInode>(mode, c.fsuid, c.fsgid);
    n->st_.rdev = rdev;
    return Add(name, n);
  }
  SysResult<std::shared_ptr<Inode>> Symlink(std::string_view name, std::string_view target,
                                            const kernel::Credentials& c) override {
    auto n = std::make_shared<TestInode>(S_IFLNK | 0777, c.fsuid, c.fsgid);
    n->target_ = std::string(target);
    return Add(name, n);
  }
  SysResult<void> Link(std::string_view name, const std::shared_ptr<Inode>& target) override {
    auto t = std::static_pointer_cast<TestInode>(target);
    ++t->st_.nlink;
    entries_[std::string(name)] = t;
    return {};
  }
  SysResult<void> Unlink(std::string_view name) override {
    auto it = entries_.find(std::string(name));
    if (it == entries_.end()) return Err(Errno::kENOENT);
    --it->second->st_.nlink;
    entries_.erase(it);
    return {};
  }
  SysResult<void> Rmdir(std::string_view name) override {
    auto it = entries_.find(std::string(name));
    if (it == entries_.end()) return Err(Errno::kENOENT);
    if (!it->second->entries_.empty()) return Err(Errno::kENOTEMPTY);
    entries_.erase(it);
    return {};
  }
  SysResult<void> Rename(std::string_view old_name, Inode& new_dir, std::string_view new_name,
                         unsigned flags) override {
    auto& dst = static_cast<TestInode&>(new_dir);
    std::string from(old_name), to(new_name);
    auto src = entries_.at(from);
    auto it = dst.entries_.find(to);
    if (flags & RENAME_EXCHANGE) {
      std::swap(entries_[from], dst.entries_[to]);
      return {};
    }
    if (it != dst.entries_.end()) {
      if (flags & RENAME_NOREPLACE) return Err(Errno::kEEXIST);
      if (it->second->IsDir() && !it->second->entries_.empty()) return Err(Errno::kENOTEMPTY);
    }
    entries_.erase(from);
    dst.entries_[to] = src;
    return {};
  }
  SysResult<std::string> Readlink() override { return target_; }
  SysResult<std::shared_ptr<FileDescription>> Open(kernel::Task& task, const Path& path,
                                                   int flags) override {
    return std::make_shared<FileDescription>(path, flags);
  }

  // Test set-up helpers.
  std::shared_ptr<TestInode> AddDir(const std::string& name, uint32_t mode = 0755,
                                    uint32_t uid = 0) {
    auto n = std::make_shared<TestInode>(S_IFDIR | mode, uid, uid);
    entries_[name] = n;
    return n;
  }
  std::shared_ptr<TestInode> AddFile(const std::string& name, uint32_t mode = 0644,
                                     uint32_t uid = 0, uint64_t size = 0) {
    auto n = std::make_shared<TestInode>(S_IFREG | mode, uid, uid);
    n->st_.size = size;
    entries_[name] = n;
    return n;
  }
  std::shared_ptr<TestInode> AddLink(const std::string& name, const std::string& target) {
    auto n = std::make_shared<TestInode>(S_IFLNK | 0777);
    n->target_ = target;
    entries_[name] = n;
    return n;
  }
  bool Has(const std::string& name) const { return entries_.count(name) != 0; }
  Stat& st() { return st_; }

  int lookups = 0;
  int setstat_calls = 0;

 private:
  SysResult<std::shared_ptr<Inode>> Add(std::string_view name, std::shared_ptr<TestInode> n) {
    if (!entries_.emplace(std::string(name), n).second) return Err(Errno::kEEXIST);
    return std::shared_ptr<Inode>(n);
  }

  Stat st_;
  std::string target_;
  std::map<std::string, std::shared_ptr<TestInode>> entries_;
};

// A mount table with a root filesystem, and helpers to mount more.
struct TestTree {
  TestTree() {
    root_ino = std::make_shared<TestInode>(S_IFDIR | 0755);
    auto root_dentry = std::make_shared<Dentry>("/", nullptr, root_ino);
    mounts.SetRoot(std::make_shared<Mount>(root_dentry, "testfs", "none", 0));
  }

  Path Root() const { return mounts.RootPath(); }

  // A new filesystem mounted at `where` (resolved from the root).
  std::shared_ptr<TestInode> MountAt(const std::string& where, int flags = 0) {
    auto ino = std::make_shared<TestInode>(S_IFDIR | 0755);
    auto m = std::make_shared<Mount>(std::make_shared<Dentry>("/", nullptr, ino), "testfs",
                                     "none", flags);
    Path p = *Resolve(Ctx(), where, kFollow);
    mounts.Attach(m, p);
    return ino;
  }

  // A context at the root, without permission checks unless `creds`.
  ResolveContext Ctx(const kernel::Credentials* creds = nullptr) const {
    ResolveContext ctx;
    ctx.root = Root();
    ctx.start = Root();
    ctx.creds = creds;
    ctx.mounts = &mounts;
    return ctx;
  }

  std::string PathOf(const Path& p) const { return mounts.PathString(p, Root()); }

  MountTable mounts;
  std::shared_ptr<TestInode> root_ino;
};

}  // namespace bulwark::vfs::testing

// memfs directories, including the overlay merge with a lower directory.

#include <linux/capability.h>
#include <linux/fs.h>

#include "sentry/fsimpl/memfs/inode.h"

namespace bulwark::fsimpl::memfs {

namespace {

// tmpfs reports this many bytes per entry as a directory's size.
constexpr uint64_t kBogoDirentSize = 20;

class DirDescription : public vfs::FileDescription {
 public:
  using vfs::FileDescription::FileDescription;
  SysResult<size_t> Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) override {
    return Err(Errno::kEISDIR);
  }
  SysResult<size_t> Write(kernel::Task& t, vfs::IoVecs src, uint64_t off) override {
    return Err(Errno::kEISDIR);
  }
};

}  // namespace

DirInode::DirInode(std::shared_ptr<MemFs> fs, uint32_t mode, uint32_t uid, uint32_t gid,
                   bool charged)
    : MemInode(std::move(fs), S_IFDIR | (mode & 07777), uid, gid, charged) {
  attr_.nlink = 2;
}

uint64_t DirInode::Size() const {
  return lower_ ? attr_.size : kBogoDirentSize * (entries_.size() + 2);
}

std::shared_ptr<MemInode> DirInode::Find(std::string_view name) {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : it->second;
}

SysResult<std::shared_ptr<MemInode>> DirInode::Get(std::string_view name) {
  if (auto inode = Find(name)) return inode;
  if (!lower_ || whiteouts_.contains(name)) return Err(Errno::kENOENT);
  std::shared_ptr<vfs::Inode> lower = TRY(lower_->Lookup(name));
  uint64_t ino = 0;
  if (auto it = lower_inos_.find(name); it != lower_inos_.end()) {
    ino = it->second;
    lower_inos_.erase(it);
  }
  auto self = std::static_pointer_cast<DirInode>(shared_from_this());
  std::shared_ptr<MemInode> inode = TRY(fs_->Wrap(std::move(lower), ino, self));
  entries_.emplace(std::string(name), inode);
  return inode;
}

SysResult<std::shared_ptr<vfs::Inode>> DirInode::Lookup(std::string_view name) {
  std::shared_ptr<MemInode> inode = TRY(Get(name));
  return std::shared_ptr<vfs::Inode>(std::move(inode));
}

SysResult<std::vector<vfs::DirEntry>> DirInode::ReadDir() {
  std::vector<vfs::DirEntry> out;
  out.reserve(entries_.size());
  for (const auto& [name, inode] : entries_)
    out.push_back(vfs::DirEntry{inode->ino(), vfs::DirentType(inode->mode()), name});
  if (lower_) {
    std::vector<vfs::DirEntry> lower = TRY(lower_->ReadDir());
    for (vfs::DirEntry& e : lower) {
      if (entries_.contains(e.name) || whiteouts_.contains(e.name)) continue;
      auto [it, inserted] = lower_inos_.try_emplace(e.name, 0);
      if (inserted) it->second = fs_->NextIno();
      out.push_back(vfs::DirEntry{it->second, e.type, std::move(e.name)});
    }
  }
  TouchAtime();
  return out;
}

SysResult<bool> DirInode::IsEmpty() {
  if (!entries_.empty()) return false;
  if (!lower_) return true;
  std::vector<vfs::DirEntry> lower = TRY(lower_->ReadDir());
  for (const vfs::DirEntry& e : lower)
    if (!whiteouts_.contains(e.name)) return false;
  return true;
}

SysResult<void> DirInode::CheckAbsent(std::string_view name) {
  auto existing = Get(name);
  if (existing) return Err(Errno::kEEXIST);
  if (existing.error() != Errno::kENOENT) return Err(existing.error());
  return {};
}

void DirInode::InitOwner(uint32_t* mode, uint32_t* uid, uint32_t* gid,
                         const kernel::Credentials& creds) const {
  *uid = creds.fsuid;
  if (!(attr_.mode & S_ISGID)) {
    *gid = creds.fsgid;
    return;
  }
  *gid = attr_.gid;
  if (S_ISDIR(*mode)) {
    *mode |= S_ISGID;
  } else if ((*mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) && !creds.InGroup(*gid) &&
             !creds.HasCap(CAP_FSETID)) {
    *mode &= ~S_ISGID;
  }
}

SysResult<std::shared_ptr<MemInode>> DirInode::CreateTmpfile(uint32_t mode,
                                                             const kernel::Credentials& creds,
                                                             bool linkable) {
  uint32_t m = S_IFREG | (mode & 07777), uid, gid;
  InitOwner(&m, &uid, &gid, creds);
  TRY(fs_->ChargeInode());
  auto file = std::make_shared<FileInode>(fs_, m, uid, gid, true);
  file->SetNlink(0);
  file->linkable = linkable;
  TouchMtime();
  return std::shared_ptr<MemInode>(std::move(file));
}

void DirInode::Insert(std::string_view name, std::shared_ptr<MemInode> inode) {
  if (auto it = whiteouts_.find(name); it != whiteouts_.end()) whiteouts_.erase(it);
  if (auto it = lower_inos_.find(name); it != lower_inos_.end()) lower_inos_.erase(it);
  if (auto it = entries_.find(name); it != entries_.end()) {
    it->second = std::move(inode);
  } else {
    entries_.emplace(std::string(name), std::move(inode));
  }
  TouchMtime();
}

void DirInode::Remove(std::string_view name) {
  if (auto it = entries_.find(name); it != entries_.end()) entries_.erase(it);
  if (lower_) whiteouts_.emplace(name);
  TouchMtime();
}

bool DirInode::IsAncestorOf(const DirInode* dir) const {
  std::shared_ptr<DirInode> hold;
  while (dir) {
    if (dir == this) return true;
    hold = dir->parent_.lock();
    dir = hold.get();
  }
  return false;
}

SysResult<std::shared_ptr<vfs::Inode>> DirInode::Create(std::string_view name, uint32_t mode,
                                                        const kernel::Credentials& creds) {
  TRY(CheckAbsent(name));
  uint32_t m = S_IFREG | (mode & 07777), uid, gid;
  InitOwner(&m, &uid, &gid, creds);
  TRY(fs_->ChargeInode());
  auto file = std::make_shared<FileInode>(fs_, m, uid, gid, true);
  Insert(name, file);
  return std::shared_ptr<vfs::Inode>(std::move(file));
}

SysResult<std::shared_ptr<vfs::Inode>> DirInode::Mkdir(std::string_view name, uint32_t mode,
                                                       const kernel::Credentials& creds) {
  TRY(CheckAbsent(name));
  uint32_t m = S_IFDIR | (mode & (0777 | S_ISVTX)), uid, gid;
  InitOwner(&m, &uid, &gid, creds);
  TRY(fs_->ChargeInode());
  auto dir = std::make_shared<DirInode>(fs_, m, uid, gid, true);
  dir->SetParent(std::static_pointer_cast<DirInode>(shared_from_this()));
  Insert(name, dir);
  IncLink();
  return std::shared_ptr<vfs::Inode>(std::move(dir));
}

SysResult<std::shared_ptr<vfs::Inode>> DirInode::Mknod(std::string_view name, uint32_t mode,
                                                       uint64_t rdev,
                                                       const kernel::Credentials& creds) {
  uint32_t type = mode & S_IFMT;
  if (type == 0 || type == S_IFREG) return Create(name, mode, creds);
  if (type != S_IFCHR && type != S_IFBLK && type != S_IFIFO && type != S_IFSOCK)
    return Err(Errno::kEINVAL);
  TRY(CheckAbsent(name));
  uint32_t m = type | (mode & 07777), uid, gid;
  InitOwner(&m, &uid, &gid, creds);
  TRY(fs_->ChargeInode());
  bool device = type == S_IFCHR || type == S_IFBLK;
  auto node = std::make_shared<SpecialInode>(fs_, m, device ? rdev : 0, uid, gid, true);
  Insert(name, node);
  return std::shared_ptr<vfs::Inode>(std::move(node));
}

SysResult<std::shared_ptr<vfs::Inode>> DirInode::Symlink(std::string_view name,
                                                         std::string_view target,
                                                         const kernel::Credentials& creds) {
  TRY(CheckAbsent(name));
  uint32_t m = S_IFLNK | 0777, uid, gid;
  InitOwner(&m, &uid, &gid, creds);
  TRY(fs_->ChargeInode());
  auto link = std::make_shared<SymlinkInode>(fs_, std::string(target), uid, gid, true);
  Insert(name, link);
  return std::shared_ptr<vfs::Inode>(std::move(link));
}

SysResult<void> DirInode::Link(std::string_view name, const std::shared_ptr<vfs::Inode>& target) {
  auto inode = std::dynamic_pointer_cast<MemInode>(target);
  if (!inode || inode->fs_ptr() != fs_) return Err(Errno::kEXDEV);
  if (inode->IsDir()) return Err(Errno::kEPERM);
  // link(2) of a file whose last name is gone (linkat(AT_EMPTY_PATH)),
  // unless it is an O_TMPFILE file opened without O_EXCL.
  if (inode->nlink() == 0 && !inode->linkable) return Err(Errno::kENOENT);
  inode->linkable = false;
  TRY(CheckAbsent(name));
  inode->IncLink();
  inode->TouchCtime();
  Insert(name, std::move(inode));
  return {};
}

SysResult<void> DirInode::Unlink(std::string_view name) {
  std::shared_ptr<MemInode> victim = TRY(Get(name));
  if (victim->IsDir()) return Err(Errno::kEISDIR);
  victim->DecLink();
  victim->TouchCtime();
  Remove(name);
  return {};
}

SysResult<void> DirInode::Rmdir(std::string_view name) {
  std::shared_ptr<MemInode> victim = TRY(Get(name));
  if (!victim->IsDir()) return Err(Errno::kENOTDIR);
  if (!TRY(static_cast<DirInode&>(*victim).IsEmpty())) return Err(Errno::kENOTEMPTY);
  victim->SetNlink(0);
  victim->TouchCtime();
  DecLink();
  Remove(name);
  return {};
}

SysResult<void> DirInode::Rename(std::string_view old_name, vfs::Inode& new_dir,
                                 std::string_view new_name, unsigned flags) {
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) return Err(Errno::kEINVAL);
  const bool exchange = flags & RENAME_EXCHANGE;
  if (exchange && (flags & RENAME_NOREPLACE)) return Err(Errno::kEINVAL);
  auto* dst = dynamic_cast<DirInode*>(&new_dir);
  if (!dst || dst->fs_ptr() != fs_) return Err(Errno::kEXDEV);
  auto dst_ptr = std::static_pointer_cast<DirInode>(dst->shared_from_this());
  auto self = std::static_pointer_cast<DirInode>(shared_from_this());

  std::shared_ptr<MemInode> moving = TRY(Get(old_name));
  std::shared_ptr<MemInode> replaced;
  if (auto r = dst->Get(new_name)) {
    replaced = *r;
  } else if (r.error() != Errno::kENOENT) {
    return Err(r.error());
  }
  if (exchange && !replaced) return Err(Errno::kENOENT);
  if (!exchange && replaced && (flags & RENAME_NOREPLACE)) return Err(Errno::kEEXIST);
  // rename(2): hard links to the same file, or a name onto itself.
  if (replaced == moving) return {};
  if (moving->IsDir() && static_cast<DirInode&>(*moving).IsAncestorOf(dst))
    return Err(Errno::kEINVAL);

  if (exchange) {
    if (replaced->IsDir() && static_cast<DirInode&>(*replaced).IsAncestorOf(this))
      return Err(Errno::kEINVAL);
    entries_.find(old_name)->second = replaced;
    dst->entries_.find(new_name)->second = moving;
    if (dst != this) {
      if (moving->IsDir()) {
        DecLink();
        dst->IncLink();
        static_cast<DirInode&>(*moving).SetParent(dst_ptr);
      }
      if (replaced->IsDir()) {
        dst->DecLink();
        IncLink();
        static_cast<DirInode&>(*replaced).SetParent(self);
      }
    }
    TouchMtime();
    dst->TouchMtime();
    moving->TouchCtime();
    replaced->TouchCtime();
    return {};
  }

  if (replaced) {
    if (moving->IsDir()) {
      if (!replaced->IsDir()) return Err(Errno::kENOTDIR);
      if (!TRY(static_cast<DirInode&>(*replaced).IsEmpty())) return Err(Errno::kENOTEMPTY);
      replaced->SetNlink(0);
      dst->DecLink();
    } else {
      if (replaced->IsDir()) return Err(Errno::kEISDIR);
      replaced->DecLink();
    }
    replaced->TouchCtime();
  }
  Remove(old_name);
  dst->Insert(new_name, moving);
  if (moving->IsDir() && dst != this) {
    DecLink();
    dst->IncLink();
    static_cast<DirInode&>(*moving).SetParent(dst_ptr);
  }
  moving->TouchCtime();
  return {};
}

SysResult<std::shared_ptr<vfs::FileDescription>> DirInode::Open(kernel::Task& task,
                                                                const vfs::Path& path,
                                                                int flags) {
  if (flags & O_PATH) return PathOnlyDescription(path, flags);
  if ((flags & O_ACCMODE) != O_RDONLY) return Err(Errno::kEISDIR);
  return std::shared_ptr<vfs::FileDescription>(std::make_shared<DirDescription>(path, flags));
}

}  // namespace bulwark::fsimpl::memfs

#include "sentry/fsimpl/proc/inode.h"

#include <algorithm>
#include <cstring>

#include "sentry/kernel/task.h"

namespace bulwark::fsimpl::proc {

namespace {

class SeqDescription : public vfs::FileDescription {
 public:
  SeqDescription(const vfs::Path& path, int flags, std::shared_ptr<vfs::Inode> inode,
                 const Generator& gen, const WriteHandler& write, Errno no_write)
      : vfs::FileDescription(path, flags), inode_(std::move(inode)), gen_(gen), write_(write),
        no_write_(no_write) {}

  SysResult<size_t> Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) override {
    if (off == 0 || !generated_) {
      data_ = TRY(gen_(t));
      generated_ = true;
    }
    if (off >= data_.size()) return 0;
    size_t pos = off;
    for (const iovec& v : dst) {
      size_t n = std::min(v.iov_len, data_.size() - pos);
      std::memcpy(v.iov_base, data_.data() + pos, n);
      pos += n;
      if (pos == data_.size()) break;
    }
    return pos - off;
  }

  SysResult<size_t> Write(kernel::Task& t, vfs::IoVecs src, uint64_t off) override {
    if (!write_) return Err(no_write_);
    std::string data;
    data.reserve(vfs::TotalLength(src));
    for (const iovec& v : src) data.append(static_cast<const char*>(v.iov_base), v.iov_len);
    return write_(t, data);
  }

  // seq_lseek(): SEEK_SET and SEEK_CUR only.
  SysResult<uint64_t> Seek(kernel::Task& t, int64_t off, int whence) override {
    int64_t base;
    switch (whence) {
      case SEEK_SET: base = 0; break;
      case SEEK_CUR: base = static_cast<int64_t>(offset); break;
      default: return Err(Errno::kEINVAL);
    }
    if (off < -base) return Err(Errno::kEINVAL);
    offset = static_cast<uint64_t>(base + off);
    return offset;
  }

  SysResult<vfs::Stat> GetStat() override { return inode_->GetStat(); }
  SysResult<void> SetStat(const vfs::SetStatRequest& req) override { return inode_->SetStat(req); }

 private:
  std::shared_ptr<vfs::Inode> inode_;
  const Generator& gen_;  // owned by the inode, which this holds
  const WriteHandler& write_;
  Errno no_write_;
  std::string data_;
  bool generated_ = false;
};

class ProcDirDescription : public vfs::FileDescription {
 public:
  using vfs::FileDescription::FileDescription;
  SysResult<size_t> Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) override {
    return Err(Errno::kEISDIR);
  }
};

}  // namespace

SysResult<Resolved> ResolveTarget(ProcFs& fs, Target t) {
  Resolved r;
  r.tg = fs.kernel.ThreadGroupByPid(t.tgid);
  if (!r.tg) return Err(Errno::kENOENT);
  if (t.tid) {
    for (kernel::Task* th : r.tg->tasks)
      if (th->tid() == t.tid) r.task = th;
    if (!r.task) return Err(Errno::kENOENT);
  } else {
    r.task = r.tg->Leader();
  }
  return r;
}

ProcInode::ProcInode(std::shared_ptr<ProcFs> fs, uint32_t mode, uint64_t ino,
                     std::optional<Target> owner)
    : vfs::Inode(mode), fs_(std::move(fs)), mode_(mode), ino_(ino), owner_(owner),
      time_(vfs::Now()) {}

SysResult<vfs::Stat> ProcInode::GetStat() {
  vfs::Stat st;
  st.dev = fs_->dev;
  st.ino = ino_;
  st.mode = mode_;
  st.nlink = Nlink();
  if (owner_) {
    Resolved r = TRY(ResolveTarget(*fs_, *owner_));
    if (r.task) {
      st.uid = r.task->creds().euid;
      st.gid = r.task->creds().egid;
    }
  }
  st.size = Size();
  st.blksize = 1024;
  st.atime = st.mtime = st.ctime = time_;
  return st;
}

ProcFile::ProcFile(std::shared_ptr<ProcFs> fs, uint32_t perm, uint64_t ino, Generator gen,
                   WriteHandler write, Errno no_write, std::optional<Target> owner)
    : ProcInode(std::move(fs), S_IFREG | perm, ino, owner), gen_(std::move(gen)),
      write_(std::move(write)), no_write_(no_write) {}

SysResult<std::shared_ptr<vfs::FileDescription>> ProcFile::Open(kernel::Task& task,
                                                                const vfs::Path& path,
                                                                int flags) {
  if (flags & O_PATH) return std::make_shared<vfs::FileDescription>(path, flags);
  if (owner_) TRY(ResolveTarget(*fs_, *owner_));
  return std::shared_ptr<vfs::FileDescription>(std::make_shared<SeqDescription>(
      path, flags, shared_from_this(), gen_, write_, no_write_));
}

ProcLink::ProcLink(std::shared_ptr<ProcFs> fs, uint64_t ino, Text text, Magic magic,
                   std::optional<Target> owner, uint32_t perm, uint64_t size)
    : ProcInode(std::move(fs), S_IFLNK | perm, ino, owner), text_(std::move(text)),
      magic_(std::move(magic)), size_(size) {}

std::optional<SysResult<vfs::Path>> ProcLink::FollowMagicLink(kernel::Task& task) {
  if (!magic_) return std::nullopt;
  return magic_(task);
}

SysResult<std::shared_ptr<vfs::FileDescription>> ProcLink::Open(kernel::Task& task,
                                                                const vfs::Path& path,
                                                                int flags) {
  if (flags & O_PATH) return std::make_shared<vfs::FileDescription>(path, flags);
  return Err(Errno::kELOOP);
}

SysResult<std::shared_ptr<vfs::FileDescription>> ProcDir::Open(kernel::Task& task,
                                                               const vfs::Path& path,
                                                               int flags) {
  if (flags & O_PATH) return std::make_shared<vfs::FileDescription>(path, flags);
  if ((flags & O_ACCMODE) != O_RDONLY) return Err(Errno::kEISDIR);
  if (owner_) TRY(ResolveTarget(*fs_, *owner_));
  return std::shared_ptr<vfs::FileDescription>(std::make_shared<ProcDirDescription>(path, flags));
}

StaticDir::StaticDir(std::shared_ptr<ProcFs> fs, uint32_t perm, uint64_t ino)
    : ProcDir(std::move(fs), S_IFDIR | perm, ino) {}

void StaticDir::Add(std::string name, std::shared_ptr<vfs::Inode> child) {
  children_.emplace_back(std::move(name), std::move(child));
}

SysResult<std::shared_ptr<vfs::Inode>> StaticDir::Lookup(std::string_view name) {
  for (const auto& [n, child] : children_)
    if (n == name) return child;
  return Err(Errno::kENOENT);
}

SysResult<std::vector<vfs::DirEntry>> StaticDir::ReadDir() {
  std::vector<vfs::DirEntry> out;
  for (const auto& [name, child] : children_) {
    vfs::Stat st = TRY(child->GetStat());
    out.push_back(vfs::DirEntry{st.ino, vfs::DirentType(st.mode), name});
  }
  return out;
}

std::shared_ptr<vfs::Inode> StaticFile(const std::shared_ptr<ProcFs>& fs, Generator gen,
                                       WriteHandler write, uint32_t perm) {
  return std::make_shared<ProcFile>(fs, perm, fs->next_ino++, std::move(gen), std::move(write));
}

SysResult<std::shared_ptr<vfs::Mount>> ProcMount(ProcFs& fs) {
  std::shared_ptr<vfs::Inode> root = fs.root.lock();
  for (const auto& m : fs.kernel.mounts().All())
    if (m->root()->inode() == root) return m;
  return Err(Errno::kENOENT);
}

}  // namespace bulwark::fsimpl::proc

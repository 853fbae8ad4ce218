#include "sentry/fsimpl/gofer/gofer_fs.h"

#include <fcntl.h>

#include "base/log.h"
#include "sentry/fsimpl/gofer/inode.h"
#include "sentry/kernel/task.h"

namespace bulwark::fsimpl::goferfs {

namespace {

class GoferDirDescription : public vfs::FileDescription {
 public:
  GoferDirDescription(const vfs::Path& path, int flags, std::shared_ptr<GoferInode> inode)
      : vfs::FileDescription(path, flags), inode_(std::move(inode)) {}
  SysResult<size_t> Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) override {
    return Err(Errno::kEISDIR);
  }
  SysResult<std::vector<vfs::DirEntry>> ReadDir(kernel::Task& t) override {
    return inode_->ReadDir();
  }
  SysResult<vfs::Stat> GetStat() override { return inode_->GetStat(); }
  SysResult<void> SetStat(const vfs::SetStatRequest& req) override {
    return inode_->SetStat(req);
  }

 private:
  std::shared_ptr<GoferInode> inode_;
};

}  // namespace

vfs::Stat ToVfsStat(const gofer::Stat& st, uint64_t dev) {
  vfs::Stat out;
  out.dev = dev;
  out.ino = st.ino;
  out.mode = st.mode;
  out.nlink = st.nlink;
  out.uid = st.uid;
  out.gid = st.gid;
  out.rdev = st.rdev;
  out.size = st.size;
  out.blksize = st.blksize ? st.blksize : 4096;
  out.blocks = st.blocks;
  out.atime = st.atime;
  out.mtime = st.mtime;
  out.ctime = st.ctime;
  return out;
}

GoferInode::GoferInode(std::shared_ptr<GoferFs> fs, uint64_t fid, const gofer::Stat& st)
    : vfs::Inode(st.mode), fs_(std::move(fs)), fid_(fid), stat_(st) {}

GoferInode::~GoferInode() {
  // Nothing to do about a failure: the gofer forgets the fid when the
  // connection goes.
  (void)fs_->client->Clunk(fid_);
}

SysResult<vfs::Stat> GoferInode::GetStat() {
  if (!fs_->read_only) stat_ = TRY(fs_->client->Stat(fid_));
  return ToVfsStat(stat_, fs_->dev);
}

SysResult<void> GoferInode::SetStat(const vfs::SetStatRequest& req) {
  using R = vfs::SetStatRequest;
  using A = gofer::SetAttr;
  static constexpr std::pair<uint32_t, uint32_t> kBits[] = {
      {R::kMode, A::kMode},   {R::kUid, A::kUid},         {R::kGid, A::kGid},
      {R::kSize, A::kSize},   {R::kAtime, A::kAtime},     {R::kMtime, A::kMtime},
      {R::kAtimeNow, A::kAtimeNow}, {R::kMtimeNow, A::kMtimeNow},
  };
  gofer::SetAttr attr;
  for (auto [from, to] : kBits)
    if (req.mask & from) attr.mask |= to;
  // The host sets ctime itself.
  if (attr.mask == 0) return {};
  if (fs_->read_only) return Err(Errno::kEROFS);
  attr.mode = req.mode & 07777;
  attr.uid = req.uid;
  attr.gid = req.gid;
  attr.size = req.size;
  attr.atime = req.atime;
  attr.mtime = req.mtime;
  stat_ = TRY(fs_->client->SetAttr(fid_, attr));
  if (auto c = cache(); c && (req.mask & R::kSize)) c->Resized(req.size);
  return {};
}

SysResult<std::shared_ptr<PageCache>> GoferInode::CacheForMapping(
    mm::MemoryFile& mf, vfs::FileDescription& file, int fd, uint64_t off, uint64_t len,
    bool shared) {
  std::shared_ptr<PageCache> c = cache();
  if (!c || off + len > c->len()) {
    // A file mapped past its cache's reservation gets a new, larger cache;
    // the older mappings keep the old one and stop following the file (as
    // memfs's reservations, see memfs/file.cc).
    if (c) LOG_WARN("goferfs: file mapped past its page cache; older mappings no longer follow it");
    if (c) TRY(c->WriteBackAll());
    c = TRY(PageCache::Create(mf, fd, off + len));
    cache_ = c;
  }
  if (shared && file.Writable()) TRY(c->NoteWritable(fd, off, len));
  // Read-only file pages of the image (executables, libraries) are likely
  // mapped again. Not of files that may change behind the sandbox's back
  // (rw bind mounts): a cache serves read(2) while it exists.
  if (!shared && fs_->read_only) RetainPageCache(c);
  return c;
}

SysResult<std::shared_ptr<vfs::Inode>> GoferInode::Adopt(const gofer::WalkResult& r) {
  return std::shared_ptr<vfs::Inode>(std::make_shared<GoferInode>(fs_, r.fid, r.stat));
}

SysResult<std::shared_ptr<vfs::Inode>> GoferInode::Lookup(std::string_view name) {
  if (!IsDir()) return Err(Errno::kENOTDIR);
  gofer::WalkResult r = TRY(fs_->client->Walk(fid_, name));
  return Adopt(r);
}

SysResult<std::vector<vfs::DirEntry>> GoferInode::ReadDir() {
  if (!IsDir()) return Err(Errno::kENOTDIR);
  std::vector<gofer::DirEntry> entries = TRY(fs_->client->ReadDirAll(fid_));
  std::vector<vfs::DirEntry> out;
  out.reserve(entries.size());
  for (gofer::DirEntry& e : entries) out.push_back({e.ino, e.type, std::move(e.name)});
  return out;
}

void GoferInode::NewOwner(const kernel::Credentials& creds, uint32_t* uid, uint32_t* gid) const {
  *uid = creds.fsuid;
  *gid = (stat_.mode & S_ISGID) ? stat_.gid : creds.fsgid;
}

SysResult<std::shared_ptr<vfs::Inode>> GoferInode::Create(std::string_view name, uint32_t mode,
                                                          const kernel::Credentials& creds) {
  uint32_t uid, gid;
  NewOwner(creds, &uid, &gid);
  gofer::CreateResult r =
      TRY(fs_->client->Create(fid_, name, O_RDWR, mode & 07777, uid, gid));
  auto inode = std::make_shared<GoferInode>(fs_, r.fid, r.stat);
  inode->created_fd_ = std::move(r.fd);
  return std::shared_ptr<vfs::Inode>(std::move(inode));
}

SysResult<std::shared_ptr<vfs::Inode>> GoferInode::Mkdir(std::string_view name, uint32_t mode,
                                                         const kernel::Credentials& creds) {
  uint32_t uid, gid;
  NewOwner(creds, &uid, &gid);
  gofer::WalkResult r = TRY(fs_->client->Mkdir(fid_, name, mode & 07777, uid, gid));
  return Adopt(r);
}

SysResult<std::shared_ptr<vfs::Inode>> GoferInode::Mknod(std::string_view name, uint32_t mode,
                                                         uint64_t rdev,
                                                         const kernel::Credentials& creds) {
  uint32_t type = mode & S_IFMT;
  if (type == 0 || type == S_IFREG) return Create(name, mode, creds);
  uint32_t uid, gid;
  NewOwner(creds, &uid, &gid);
  gofer::WalkResult r = TRY(fs_->client->Mknod(fid_, name, mode, rdev, uid, gid));
  return Adopt(r);
}

SysResult<std::shared_ptr<vfs::Inode>> GoferInode::Symlink(std::string_view name,
                                                           std::string_view target,
                                                           const kernel::Credentials& creds) {
  uint32_t uid, gid;
  NewOwner(creds, &uid, &gid);
  gofer::WalkResult r = TRY(fs_->client->Symlink(fid_, name, target, uid, gid));
  return Adopt(r);
}

SysResult<void> GoferInode::Link(std::string_view name, const std::shared_ptr<vfs::Inode>& target) {
  auto* t = dynamic_cast<GoferInode*>(target.get());
  if (!t || t->fs_ != fs_) return Err(Errno::kEXDEV);
  // A file whose last name is gone cannot be linked again (no O_TMPFILE
  // files come from the gofer).
  if (t->stat_.nlink == 0) return Err(Errno::kENOENT);
  t->stat_ = TRY(fs_->client->Link(fid_, name, t->fid_));
  return {};
}

SysResult<void> GoferInode::Unlink(std::string_view name) {
  return fs_->client->Unlink(fid_, name, 0);
}

SysResult<void> GoferInode::Rmdir(std::string_view name) {
  return fs_->client->Unlink(fid_, name, AT_REMOVEDIR);
}

SysResult<void> GoferInode::Rename(std::string_view old_name, vfs::Inode& new_dir,
                                   std::string_view new_name, unsigned flags) {
  auto* dst = dynamic_cast<GoferInode*>(&new_dir);
  if (!dst || dst->fs_ != fs_) return Err(Errno::kEXDEV);
  return fs_->client->Rename(fid_, old_name, dst->fid_, new_name, flags);
}

SysResult<std::string> GoferInode::Readlink() {
  if (!IsSymlink()) return Err(Errno::kEINVAL);
  if (link_cached_) return link_target_;
  std::string target = TRY(fs_->client->ReadLink(fid_));
  if (fs_->read_only) {
    link_target_ = target;
    link_cached_ = true;
  }
  return target;
}

SysResult<std::shared_ptr<vfs::FileDescription>> GoferInode::Open(kernel::Task& task,
                                                                  const vfs::Path& path,
                                                                  int flags) {
  if (flags & O_PATH) return std::make_shared<vfs::FileDescription>(path, flags);
  auto self = std::static_pointer_cast<GoferInode>(shared_from_this());
  const int access = flags & O_ACCMODE;
  switch (type()) {
    case S_IFDIR:
      if (access != O_RDONLY) return Err(Errno::kEISDIR);
      return std::shared_ptr<vfs::FileDescription>(
          std::make_shared<GoferDirDescription>(path, flags, std::move(self)));
    case S_IFREG: {
      UniqueFd fd;
      if (created_fd_.valid()) {
        fd = std::move(created_fd_);
      } else {
        // O_ACCMODE (3) asks for read and write permission without either.
        int host_flags = (access == O_ACCMODE ? O_RDWR : access) | (flags & O_APPEND);
        fd = TRY(task.Unlocked([&] { return fs_->client->Open(fid_, host_flags); }));
      }
      return NewHostFileDescription(path, flags, std::move(self), std::move(fd));
    }
    case S_IFLNK:
      return Err(Errno::kELOOP);
    default:
      if (type() == S_IFSOCK || !fs_->open_special) return Err(Errno::kENXIO);
      return fs_->open_special(task, path, flags, type() == S_IFIFO ? 0 : stat_.rdev);
  }
}

SysResult<std::shared_ptr<vfs::Inode>> CreateGoferFs(std::shared_ptr<gofer::Client> client,
                                                     uint32_t attach_index, bool read_only,
                                                     memfs::SpecialOpener open_special) {
  gofer::WalkResult root = TRY(client->Attach(attach_index));
  auto fs = std::make_shared<GoferFs>();
  fs->client = std::move(client);
  fs->read_only = read_only;
  fs->dev = memfs::AllocAnonDev();
  fs->open_special = std::move(open_special);
  return std::shared_ptr<vfs::Inode>(std::make_shared<GoferInode>(fs, root.fid, root.stat));
}

std::optional<SysResult<gofer::StatFs>> StatFsOf(vfs::Inode& inode) {
  auto* g = dynamic_cast<GoferInode*>(&inode);
  if (!g) return std::nullopt;
  return g->fs().client->StatFs(g->fid());
}

}  // namespace bulwark::fsimpl::goferfs

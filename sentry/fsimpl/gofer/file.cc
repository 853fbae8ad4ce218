// Regular files of the gofer filesystem: I/O on the donated host fd.

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "sentry/fsimpl/gofer/inode.h"
#include "sentry/kernel/task.h"

namespace bulwark::fsimpl::goferfs {

namespace {

// A host call's result: the value, or the host errno (captured before the
// kernel lock is taken back).
template <typename F>
SysResult<size_t> HostIo(kernel::Task& t, F&& f) {
  ssize_t r = t.Unlocked([&]() -> ssize_t {
    ssize_t n;
    do n = f();
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
  });
  if (r < 0) return Err(FromInt(static_cast<int>(-r)));
  return static_cast<size_t>(r);
}

class GoferFileDescription : public vfs::FileDescription {
 public:
  GoferFileDescription(const vfs::Path& path, int flags, std::shared_ptr<GoferInode> inode,
                       UniqueFd fd)
      : vfs::FileDescription(path, flags), inode_(std::move(inode)), fd_(std::move(fd)) {
    int fl = fcntl(fd_.get(), F_GETFL);
    host_append_ = fl >= 0 && (fl & O_APPEND);
  }

  SysResult<size_t> Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) override {
    if (off > INT64_MAX) return Err(Errno::kEINVAL);
    size_t cached = 0;
    std::vector<iovec> rest;
    if (auto c = inode_->cache()) {
      // Mapped shared: the cache holds what mappings wrote.
      cached = c->Read(dst, off);
      if (cached == vfs::TotalLength(dst) || off + cached >= c->FileSize()) return cached;
      // Past the cache's reservation: from the host.
      rest = Drop(dst, cached);
      dst = rest;
      off += cached;
    }
    int n = static_cast<int>(std::min<size_t>(dst.size(), IOV_MAX));
    auto r = HostIo(t, [&] { return preadv(fd_.get(), dst.data(), n, static_cast<off_t>(off)); });
    if (!r && cached > 0) return cached;
    return TRY(r) + cached;
  }

  SysResult<size_t> Write(kernel::Task& t, vfs::IoVecs src, uint64_t off) override {
    if (off > INT64_MAX) return Err(Errno::kEINVAL);
    // The fd is the sentry's own, so its O_APPEND can follow F_SETFL. With
    // O_APPEND, Linux's pwritev appends whatever the offset (pwrite(2), BUGS).
    bool append = flags() & O_APPEND;
    if (append != host_append_) {
      int fl = fcntl(fd_.get(), F_GETFL);
      if (fl < 0 || fcntl(fd_.get(), F_SETFL, append ? fl | O_APPEND : fl & ~O_APPEND) < 0)
        return Err(HostErrno());
      host_append_ = append;
    }
    int n = static_cast<int>(std::min<size_t>(src.size(), IOV_MAX));
    size_t done =
        TRY(HostIo(t, [&] { return pwritev(fd_.get(), src.data(), n, static_cast<off_t>(off)); }));
    // Write-through: the page cache (if the file is mapped shared) gets
    // the same bytes, so mappings see them.
    if (auto c = inode_->cache(); c && done > 0) {
      if (append) {
        struct stat st;
        if (fstat(fd_.get(), &st) != 0) return Err(HostErrno());
        off = static_cast<uint64_t>(st.st_size) - done;
      }
      c->Wrote(src, done, off);
    }
    return done;
  }

  SysResult<vfs::Stat> GetStat() override {
    struct stat st;
    if (fstat(fd_.get(), &st) < 0) return Err(HostErrno());
    vfs::Stat out;
    out.dev = inode_->fs().dev;
    out.ino = st.st_ino;
    out.mode = st.st_mode;
    out.nlink = st.st_nlink;
    out.uid = st.st_uid;
    out.gid = st.st_gid;
    out.rdev = st.st_rdev;
    out.size = st.st_size;
    out.blksize = st.st_blksize;
    out.blocks = st.st_blocks;
    out.atime = st.st_atim;
    out.mtime = st.st_mtim;
    out.ctime = st.st_ctim;
    return out;
  }

  SysResult<void> SetStat(const vfs::SetStatRequest& req) override {
    return inode_->SetStat(req);
  }

  SysResult<void> Sync() override {
    // Holds the kernel lock: FileDescription::Sync passes no Task to
    // release it with.
    if (auto c = inode_->cache()) TRY(c->WriteBackAll());
    if (fsync(fd_.get()) < 0) return Err(HostErrno());
    return {};
  }

  GoferInode& inode() const { return *inode_; }
  int host_fd() const { return fd_.get(); }

 private:
  // `v` without its first `n` bytes.
  static std::vector<iovec> Drop(vfs::IoVecs v, size_t n) {
    std::vector<iovec> out;
    for (const iovec& e : v) {
      if (n >= e.iov_len) {
        n -= e.iov_len;
        continue;
      }
      out.push_back({static_cast<uint8_t*>(e.iov_base) + n, e.iov_len - n});
      n = 0;
    }
    return out;
  }

  std::shared_ptr<GoferInode> inode_;
  UniqueFd fd_;
  bool host_append_ = false;
};

}  // namespace

std::optional<SysResult<std::shared_ptr<mm::Backing>>> PageCacheOf(vfs::FileDescription& file,
                                                                   mm::MemoryFile& mf,
                                                                   uint64_t off, uint64_t len,
                                                                   bool shared) {
  auto* g = dynamic_cast<GoferFileDescription*>(&file);
  if (g == nullptr) return std::nullopt;
  auto c = g->inode().CacheForMapping(mf, file, g->host_fd(), off, len, shared);
  if (!c) return Err(c.error());
  return std::shared_ptr<mm::Backing>(std::move(*c));
}

std::shared_ptr<vfs::FileDescription> NewHostFileDescription(const vfs::Path& path, int flags,
                                                             std::shared_ptr<GoferInode> inode,
                                                             UniqueFd fd) {
  return std::make_shared<GoferFileDescription>(path, flags, std::move(inode), std::move(fd));
}

}  // namespace bulwark::fsimpl::goferfs

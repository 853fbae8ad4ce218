// Regular files of the gofer filesystem: I/O on the donated host fd.

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>

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
    int n = static_cast<int>(std::min<size_t>(dst.size(), IOV_MAX));
    return HostIo(t, [&] { return preadv(fd_.get(), dst.data(), n, static_cast<off_t>(off)); });
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
    return HostIo(t, [&] { return pwritev(fd_.get(), src.data(), n, static_cast<off_t>(off)); });
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
    if (fsync(fd_.get()) < 0) return Err(HostErrno());
    return {};
  }

 private:
  std::shared_ptr<GoferInode> inode_;
  UniqueFd fd_;
  bool host_append_ = false;
};

}  // namespace

std::shared_ptr<vfs::FileDescription> NewHostFileDescription(const vfs::Path& path, int flags,
                                                             std::shared_ptr<GoferInode> inode,
                                                             UniqueFd fd) {
  return std::make_shared<GoferFileDescription>(path, flags, std::move(inode), std::move(fd));
}

}  // namespace bulwark::fsimpl::goferfs

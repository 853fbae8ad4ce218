// goferfs internals.
#pragma once

#include <memory>
#include <string>

#include "base/unique_fd.h"
#include "sentry/fsimpl/gofer/gofer_fs.h"
#include "sentry/fsimpl/gofer/page_cache.h"

namespace bulwark::fsimpl::goferfs {

struct GoferFs {
  std::shared_ptr<gofer::Client> client;
  bool read_only = false;
  uint64_t dev = 0;
  memfs::SpecialOpener open_special;
};

vfs::Stat ToVfsStat(const gofer::Stat& st, uint64_t dev);

// One fid; clunked when the inode goes.
class GoferInode : public vfs::Inode {
 public:
  GoferInode(std::shared_ptr<GoferFs> fs, uint64_t fid, const gofer::Stat& st);
  ~GoferInode() override;

  SysResult<vfs::Stat> GetStat() override;
  SysResult<void> SetStat(const vfs::SetStatRequest& req) override;
  SysResult<std::shared_ptr<vfs::Inode>> Lookup(std::string_view name) override;
  SysResult<std::vector<vfs::DirEntry>> ReadDir() override;
  SysResult<std::shared_ptr<vfs::Inode>> Create(std::string_view name, uint32_t mode,
                                                const kernel::Credentials& creds) override;
  SysResult<std::shared_ptr<vfs::Inode>> Mkdir(std::string_view name, uint32_t mode,
                                               const kernel::Credentials& creds) override;
  SysResult<std::shared_ptr<vfs::Inode>> Mknod(std::string_view name, uint32_t mode,
                                               uint64_t rdev,
                                               const kernel::Credentials& creds) override;
  SysResult<std::shared_ptr<vfs::Inode>> Symlink(std::string_view name, std::string_view target,
                                                 const kernel::Credentials& creds) override;
  SysResult<void> Link(std::string_view name, const std::shared_ptr<vfs::Inode>& target) override;
  SysResult<void> Unlink(std::string_view name) override;
  SysResult<void> Rmdir(std::string_view name) override;
  SysResult<void> Rename(std::string_view old_name, vfs::Inode& new_dir,
                         std::string_view new_name, unsigned flags) override;
  SysResult<std::string> Readlink() override;
  SysResult<std::shared_ptr<vfs::FileDescription>> Open(kernel::Task& task, const vfs::Path& path,
                                                        int flags) override;

  GoferFs& fs() const { return *fs_; }
  uint64_t fid() const { return fid_; }

  // The page cache while the file is mapped shared (page_cache.h), or null.
  std::shared_ptr<PageCache> cache() const { return cache_.lock(); }
  // The page cache for a mapping of [off, off+len) through `file` (host fd
  // `fd`), created when there is none or it is too small. `shared`: a
  // MAP_SHARED mapping (writable if `file` is).
  SysResult<std::shared_ptr<PageCache>> CacheForMapping(mm::MemoryFile& mf,
                                                        vfs::FileDescription& file, int fd,
                                                        uint64_t off, uint64_t len, bool shared);

 private:
  // Owner of a new file (the gofer applies them as given).
  void NewOwner(const kernel::Credentials& creds, uint32_t* uid, uint32_t* gid) const;
  SysResult<std::shared_ptr<vfs::Inode>> Adopt(const gofer::WalkResult& r);

  std::shared_ptr<GoferFs> fs_;
  const uint64_t fid_;
  gofer::Stat stat_;
  std::string link_target_;
  bool link_cached_ = false;
  // From Create: an O_RDWR fd for the Open that follows, so that a file
  // created without write permission can still be opened for writing once.
  UniqueFd created_fd_;
  // Held by the mappings (their VMAs' backing), not by the inode, so it
  // goes (after writing back) with the last mapping.
  std::weak_ptr<PageCache> cache_;
};

// Opens a description over a host fd donated by the gofer.
std::shared_ptr<vfs::FileDescription> NewHostFileDescription(const vfs::Path& path, int flags,
                                                             std::shared_ptr<GoferInode> inode,
                                                             UniqueFd fd);

}  // namespace bulwark::fsimpl::goferfs

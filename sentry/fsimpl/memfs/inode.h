// memfs internals: the filesystem object and its inode types.
//
// Everything here is guarded by the kernel lock, like every vfs::Inode.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "sentry/fsimpl/memfs/memfs.h"
#include "sentry/mm/mm.h"

namespace bulwark::fsimpl::memfs {

class MemInode;
class DirInode;

inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kMaxFileSize = INT64_MAX;  // MAX_LFS_FILESIZE

class MemFs : public std::enable_shared_from_this<MemFs> {
 public:
  explicit MemFs(const MemFsOptions& options);

  uint64_t dev() const { return dev_; }
  uint64_t NextIno() { return next_ino_++; }
  const SpecialOpener& open_special() const { return options_.open_special; }
  Usage usage() const;

  // Accounts a new upper inode; ENOSPC over the inode limit.
  SysResult<void> ChargeInode();
  void UnchargeInode() { --inodes_; }
  // Accounts `pages` pages of file data; ENOSPC over the size limit.
  SysResult<void> ChargePages(uint64_t pages);
  void UnchargePages(uint64_t pages) { pages_ -= pages; }

  // An upper inode standing for `lower` (see memfs.h), with its attributes
  // copied from the lower. `ino` 0 allocates one.
  SysResult<std::shared_ptr<MemInode>> Wrap(std::shared_ptr<vfs::Inode> lower, uint64_t ino,
                                            const std::shared_ptr<DirInode>& parent);

 private:
  MemFsOptions options_;
  uint64_t dev_;
  uint64_t next_ino_ = 1;
  uint64_t inodes_ = 0;
  uint64_t pages_ = 0;
};

class MemInode : public vfs::Inode {
 public:
  // `mode` includes the file type. Upper inodes are charged by the caller
  // (MemFs::ChargeInode) and uncharged here when destroyed.
  MemInode(std::shared_ptr<MemFs> fs, uint32_t mode, uint32_t uid, uint32_t gid, bool charged);
  ~MemInode() override;

  SysResult<vfs::Stat> GetStat() override;
  SysResult<void> SetStat(const vfs::SetStatRequest& req) override;

  MemFs& fs() const { return *fs_; }
  const std::shared_ptr<MemFs>& fs_ptr() const { return fs_; }
  uint64_t ino() const { return ino_; }
  uint32_t mode() const { return attr_.mode; }
  uint32_t nlink() const { return attr_.nlink; }
  const std::shared_ptr<vfs::Inode>& lower() const { return lower_; }

  void IncLink() { ++attr_.nlink; }
  void DecLink() {
    if (attr_.nlink > 0) --attr_.nlink;
  }
  void SetNlink(uint32_t n) { attr_.nlink = n; }
  // An O_TMPFILE inode that may still be linked while nlink is 0.
  bool linkable = false;
  void TouchCtime() { attr_.ctime = vfs::Now(); }
  void TouchMtime() { attr_.mtime = attr_.ctime = vfs::Now(); }
  // relatime(8): atime moves only when older than mtime/ctime or a day old.
  void TouchAtime();
  // Replaces the attributes (copied from a lower inode); keeps ino and dev.
  void CopyAttributes(const vfs::Stat& st);
  void SetIno(uint64_t ino) { ino_ = ino; }
  // After a write: clears setuid, and setgid with group-exec, unless the
  // writer has CAP_FSETID (file_remove_privs()).
  void KillSuid(const kernel::Credentials& creds);

  // Extended attributes (simple_xattr), full names ("user.x" -> value).
  // An overlay upper inode starts without the lower file's attributes.
  std::map<std::string, std::string, std::less<>> xattrs;

 protected:
  // Size and blocks as stat(2) reports them.
  virtual uint64_t Size() const = 0;
  virtual uint64_t Blocks() const { return 0; }
  // Changes the size. Preconditions: regular file; size <= kMaxFileSize.
  virtual SysResult<void> Truncate(uint64_t size) { return Err(Errno::kEINVAL); }

  std::shared_ptr<MemFs> fs_;
  uint64_t ino_;
  vfs::Stat attr_;  // mode, nlink, uid, gid, rdev and times are kept here
  std::shared_ptr<vfs::Inode> lower_;
  bool charged_;
};

class DirInode : public MemInode {
 public:
  DirInode(std::shared_ptr<MemFs> fs, uint32_t mode, uint32_t uid, uint32_t gid, bool charged);

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
  SysResult<std::shared_ptr<vfs::FileDescription>> Open(kernel::Task& task, const vfs::Path& path,
                                                        int flags) override;

  // O_TMPFILE: a new regular file with no name (nlink 0) owned as if
  // created here. `linkable`: linkat(AT_EMPTY_PATH) may give it a name
  // (I_LINKABLE; not with O_EXCL).
  SysResult<std::shared_ptr<MemInode>> CreateTmpfile(uint32_t mode,
                                                     const kernel::Credentials& creds,
                                                     bool linkable);

  // Makes this directory show `lower`'s entries beneath its own.
  void SetLower(std::shared_ptr<vfs::Inode> lower) { lower_ = std::move(lower); }
  void SetParent(const std::shared_ptr<DirInode>& parent) { parent_ = parent; }
  // Empty in the merged view (for rmdir and rename over a directory).
  SysResult<bool> IsEmpty();

 protected:
  uint64_t Size() const override;

 private:
  std::shared_ptr<MemInode> Find(std::string_view name);
  // Lookup, as a MemInode.
  SysResult<std::shared_ptr<MemInode>> Get(std::string_view name);
  // EEXIST if `name` exists in the merged view.
  SysResult<void> CheckAbsent(std::string_view name);
  // Owner, group and setgid bit of a new inode (inode_init_owner()).
  void InitOwner(uint32_t* mode, uint32_t* uid, uint32_t* gid,
                 const kernel::Credentials& creds) const;
  void Insert(std::string_view name, std::shared_ptr<MemInode> inode);
  // Removes `name`; whites it out when a lower directory may still have it.
  void Remove(std::string_view name);
  // True if this directory is `dir` or one of its ancestors.
  bool IsAncestorOf(const DirInode* dir) const;

  std::map<std::string, std::shared_ptr<MemInode>, std::less<>> entries_;
  // Names hidden from the lower directory.
  std::set<std::string, std::less<>> whiteouts_;
  // Inode numbers handed out by ReadDir for lower entries not yet wrapped,
  // so that a later Lookup reports the same number.
  std::map<std::string, uint64_t, std::less<>> lower_inos_;
  std::weak_ptr<DirInode> parent_;
};

class FileInode : public MemInode {
 public:
  FileInode(std::shared_ptr<MemFs> fs, uint32_t mode, uint32_t uid, uint32_t gid, bool charged);
  ~FileInode() override;

  SysResult<std::shared_ptr<vfs::FileDescription>> Open(kernel::Task& task, const vfs::Path& path,
                                                        int flags) override;

  // Shows `lower`'s data until copy-up; `st` is its attributes.
  void SetLower(std::shared_ptr<vfs::Inode> lower, const vfs::Stat& st);

  // Reads at `off` (up to the size); holes read as zeros. Preconditions: no
  // byte of [off, off+len) below lower_valid() (read those from the lower).
  size_t ReadAt(vfs::IoVecs dst, uint64_t off);
  // Writes at `off`, growing the file. Returns the bytes written (short, or
  // ENOSPC when none, when the size limit is reached; EFBIG past the maximum
  // file size). Precondition: lower_valid() == 0.
  SysResult<size_t> WriteAt(vfs::IoVecs src, uint64_t off);
  // Bytes at the start of the file still read from the lower file.
  uint64_t lower_valid() const { return lower_valid_; }
  uint64_t size() const { return size_; }
  // Copies the lower data into memory (before the first write).
  SysResult<void> CopyUp(kernel::Task& task, const vfs::Path& path);

  // fallocate(2). `mode`: 0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE |
  // FALLOC_FL_KEEP_SIZE, FALLOC_FL_ZERO_RANGE [| FALLOC_FL_KEEP_SIZE]
  // (validated by the caller). Precondition: lower_valid() == 0; len > 0.
  SysResult<void> Allocate(int mode, uint64_t off, uint64_t len);
  // lseek SEEK_DATA (`data`) or SEEK_HOLE from `off`; ENXIO at or past the
  // end. Unwritten pages are holes, as on tmpfs.
  SysResult<uint64_t> SeekDataHole(uint64_t off, bool data) const;
  // The memory-file range holding the file's data, at least `end` bytes
  // long, for MAP_SHARED mappings (memfd, /dev/shm, any tmpfs file). The
  // first call moves the data from sentry pages into the memory file; from
  // then on reads and writes go there, so mappings and file I/O share
  // pages. Precondition: lower_valid() == 0.
  SysResult<std::shared_ptr<mm::Backing>> SharedBacking(mm::MemoryFile& mf, uint64_t end);

  // memfd seals (F_ADD_SEALS); F_SEAL_SEAL unless created by memfd_create
  // with MFD_ALLOW_SEALING, as shmem_file_setup() does for tmpfs files.
  int seals() const { return seals_; }
  void set_seals(int s) { seals_ = s; }

 protected:
  uint64_t Size() const override { return size_; }
  uint64_t Blocks() const override;
  SysResult<void> Truncate(uint64_t size) override;

 private:
  struct Page {
    uint8_t bytes[kPageSize];
  };
  // Storage: sentry pages in `pages_`, or (once mapped shared) the range
  // `backing_` of `mf_`, where every page in range exists (unpopulated
  // memory-file pages read as zero) and usage is charged by size.
  bool mapped() const { return backing_ != nullptr; }
  // The page's bytes, or nullptr for a hole.
  uint8_t* FindPage(uint64_t idx) const;
  // The page's bytes, allocating (and charging) it; ENOSPC over the limit.
  SysResult<uint8_t*> GetPage(uint64_t idx);
  // Removes the whole pages [first, last) (they become holes).
  void DropPages(uint64_t first, uint64_t last);
  // Zeroes [off, off+len) without allocating pages that are holes.
  void ZeroRange(uint64_t off, uint64_t len);
  // Drops pages wholly at or past `size` and zeroes the tail of the last one.
  void DropFrom(uint64_t size);
  // Sets size_, recharging usage when mapped. ENOSPC over the limit.
  SysResult<void> SetSize(uint64_t size);
  // Mapped: makes the reservation cover `end` bytes (moves the data when
  // it must grow; see file.cc).
  SysResult<void> Reserve(uint64_t end);

  std::map<uint64_t, std::unique_ptr<Page>> pages_;  // by page index
  mm::MemoryFile* mf_ = nullptr;
  std::shared_ptr<mm::Backing> backing_;
  uint64_t mapped_charged_ = 0;  // pages charged while mapped
  uint64_t size_ = 0;
  uint64_t lower_valid_ = 0;
  uint64_t lower_blocks_ = 0;  // reported until copy-up
  int seals_ = 1;              // F_SEAL_SEAL
};

class SymlinkInode : public MemInode {
 public:
  SymlinkInode(std::shared_ptr<MemFs> fs, std::string target, uint32_t uid, uint32_t gid,
               bool charged);
  SysResult<std::string> Readlink() override;
  SysResult<std::shared_ptr<vfs::FileDescription>> Open(kernel::Task& task, const vfs::Path& path,
                                                        int flags) override;
  // The target is read from `lower` on first use.
  void SetLower(std::shared_ptr<vfs::Inode> lower, uint64_t size) {
    lower_ = std::move(lower);
    lower_size_ = size;
  }

 protected:
  uint64_t Size() const override { return lower_ ? lower_size_ : target_.size(); }

 private:
  std::string target_;
  uint64_t lower_size_ = 0;
};

// FIFOs, sockets and device nodes: opened through MemFsOptions::open_special.
class SpecialInode : public MemInode {
 public:
  SpecialInode(std::shared_ptr<MemFs> fs, uint32_t mode, uint64_t rdev, uint32_t uid,
               uint32_t gid, bool charged);
  SysResult<std::shared_ptr<vfs::FileDescription>> Open(kernel::Task& task, const vfs::Path& path,
                                                        int flags) override;
  void SetLower(std::shared_ptr<vfs::Inode> lower) { lower_ = std::move(lower); }

 protected:
  uint64_t Size() const override { return 0; }
};

// A description that only names its file (O_PATH, symlinks).
std::shared_ptr<vfs::FileDescription> PathOnlyDescription(const vfs::Path& path, int flags);

}  // namespace bulwark::fsimpl::memfs

// The page cache of a gofer regular file (Linux: the inode's address_space).
//
// Created by the first MAP_SHARED mapping of a gofer file and alive while a
// mapping holds it (VMAs hold it as their mm::Backing): a memory-file range
// whose offset 0 is the file's offset 0, filled from the host file when
// created. While it exists, read(2) of the inode is served from it and
// write(2) writes through to the host file and into it, so mappings and
// file I/O of every description see the same bytes, as on Linux.
//
// Write-back: pages that writable shared mappings may have changed (the
// ranges mapped through writable descriptions: the stub's page tables are
// the host's, so dirty bits are not visible) are written to the host file
// on msync, fsync/fdatasync, when the last mapping goes, and at sandbox
// exit; only up to the file's size, as Linux writes back whole pages
// clipped to i_size.
//
// Guarded by the kernel lock. Host I/O is done holding it (the destructor
// and msync have no Task to release it with); the files are local.
#pragma once

#include <cstdint>
#include <memory>

#include "base/result.h"
#include "base/unique_fd.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"

namespace bulwark::fsimpl::goferfs {

class PageCache : public mm::Backing {
 public:
  // A cache of the file open as host fd `fd` (duplicated: the cache keeps
  // its own, as a VMA keeps vm_file), with room for at least `end` bytes;
  // filled from the file.
  static SysResult<std::shared_ptr<PageCache>> Create(mm::MemoryFile& mf, int fd, uint64_t end);
  ~PageCache() override;  // writes back

  uint64_t FileSize() const override { return size_; }
  SysResult<void> Sync(uint64_t off, uint64_t len) override;

  // A writable description (host fd `fd`) maps [off, off+len) shared:
  // those pages may change through the mapping; write-back uses its fd.
  SysResult<void> NoteWritable(int fd, uint64_t off, uint64_t len);
  // read(2) at `off`: copies the cached bytes into `dst`, up to the end of
  // file or of the cache (len()); returns the count. Bytes past len() are
  // the caller's to read from the host (no mapping can reach them).
  size_t Read(vfs::IoVecs dst, uint64_t off) const;
  // write(2) wrote the first `n` bytes of `src` to the host file at `off`.
  void Wrote(vfs::IoVecs src, size_t n, uint64_t off);
  // The file's size changed to `size` (truncate, or a write past the end
  // that the cache could not see).
  void Resized(uint64_t size);
  // Writes back every page that mappings may have changed.
  SysResult<void> WriteBackAll() { return Sync(0, len()); }

 private:
  PageCache(mm::MemoryFile& mf, uint64_t off, uint64_t len) : mm::Backing(mf, off, len) {}
  uint8_t* At(uint64_t file_off) const { return mf_.At(offset() + file_off); }

  UniqueFd fd_;
  bool fd_writable_ = false;
  uint64_t size_ = 0;
  // File offsets [dirty_lo_, dirty_hi_) were mapped writable.
  uint64_t dirty_lo_ = UINT64_MAX, dirty_hi_ = 0;
};

// Writes back every page cache (sandbox exit). Kernel lock held.
void WriteBackPageCaches();

// Keeps `c` alive for a while after its last mapping goes (executables and
// libraries are mapped again by the next exec): the most recently mapped
// caches, up to kRetainedFiles files and kRetainedBytes of file data.
void RetainPageCache(std::shared_ptr<PageCache> c);
inline constexpr size_t kRetainedFiles = 64;
inline constexpr uint64_t kRetainedBytes = 256 << 20;

}  // namespace bulwark::fsimpl::goferfs

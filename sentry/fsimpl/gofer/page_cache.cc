#include "sentry/fsimpl/gofer/page_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <list>
#include <set>

#include "base/log.h"

namespace bulwark::fsimpl::goferfs {

namespace {

// Reservations start at this size so that files grown while mapped rarely
// outgrow them (the memory file's offsets are sparse address space; only
// touched pages cost memory).
constexpr uint64_t kMinReservation = 64 << 20;

std::set<PageCache*>& AllCaches() {  // guarded by the kernel lock
  static auto* all = new std::set<PageCache*>();
  return *all;
}

// pread/pwrite of the whole range, retrying short transfers and EINTR.
template <typename F>
SysResult<void> FullIo(F&& f, uint8_t* p, uint64_t len, uint64_t off, bool stop_at_eof) {
  uint64_t done = 0;
  while (done < len) {
    ssize_t n = f(p + done, len - done, static_cast<off_t>(off + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Err(HostErrno());
    if (n == 0) {
      if (stop_at_eof) return {};
      return Err(Errno::kEIO);
    }
    done += static_cast<uint64_t>(n);
  }
  return {};
}

}  // namespace

SysResult<std::shared_ptr<PageCache>> PageCache::Create(mm::MemoryFile& mf, int fd,
                                                        uint64_t end) {
  UniqueFd own(fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!own) return Err(HostErrno());
  struct stat st;
  if (fstat(fd, &st) != 0) return Err(HostErrno());
  uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t len = std::max(kMinReservation, 2 * mm::PageUp(std::max(end, size)));
  uint64_t off = TRY(mf.Allocate(len));
  std::shared_ptr<PageCache> c(new PageCache(mf, off, len));
  c->fd_ = std::move(own);
  c->size_ = size;
  uint64_t n = std::min(size, len);
  TRY(FullIo([&](uint8_t* p, size_t l, off_t o) { return pread(fd, p, l, o); }, c->At(0), n, 0,
             /*stop_at_eof=*/true));
  AllCaches().insert(c.get());
  return c;
}

PageCache::~PageCache() {
  AllCaches().erase(this);
  auto r = WriteBackAll();
  // Nothing to report the error to (Linux: it is left for fsync to see).
  if (!r) LOG_WARN("page cache write-back: %s", ErrnoName(r.error()));
}

SysResult<void> PageCache::Sync(uint64_t off, uint64_t len) {
  uint64_t lo = std::max(off, dirty_lo_);
  uint64_t hi = std::min({off + len, dirty_hi_, size_});
  if (lo >= hi) return {};
  // The fd shares the host file status flags of the description it was
  // duplicated from: with O_APPEND, pwrite would append (pwrite(2), BUGS).
  int fl = fcntl(fd_.get(), F_GETFL);
  bool append = fl >= 0 && (fl & O_APPEND);
  if (append && fcntl(fd_.get(), F_SETFL, fl & ~O_APPEND) < 0) return Err(HostErrno());
  auto r = FullIo([&](uint8_t* p, size_t l, off_t o) { return pwrite(fd_.get(), p, l, o); },
                  At(lo), hi - lo, lo, /*stop_at_eof=*/false);
  if (append) (void)fcntl(fd_.get(), F_SETFL, fl);
  return r;
}

SysResult<void> PageCache::NoteWritable(int fd, uint64_t off, uint64_t len) {
  if (!fd_writable_) {
    UniqueFd own(fcntl(fd, F_DUPFD_CLOEXEC, 0));
    if (!own) return Err(HostErrno());
    fd_ = std::move(own);
    fd_writable_ = true;
  }
  dirty_lo_ = std::min(dirty_lo_, off);
  dirty_hi_ = std::max(dirty_hi_, std::min(off + len, this->len()));
  return {};
}

size_t PageCache::Read(vfs::IoVecs dst, uint64_t off) const {
  uint64_t end = std::min(size_, len());
  uint64_t pos = off;
  for (const iovec& v : dst) {
    if (pos >= end) break;
    size_t n = std::min<uint64_t>(v.iov_len, end - pos);
    std::memcpy(v.iov_base, At(pos), n);
    pos += n;
  }
  return pos > off ? pos - off : 0;
}

void PageCache::Wrote(vfs::IoVecs src, size_t n, uint64_t off) {
  size_ = std::max(size_, off + n);
  uint64_t pos = off;
  for (const iovec& v : src) {
    if (n == 0 || pos >= len()) break;
    size_t k = std::min<uint64_t>({v.iov_len, n, len() - pos});
    std::memcpy(At(pos), v.iov_base, k);
    pos += k;
    n -= k;
  }
}

void PageCache::Resized(uint64_t size) {
  if (size == size_) return;
  if (size < size_) {
    // Pages wholly past the end are dropped; the rest of the last page
    // reads as zero (truncate_pagecache()).
    uint64_t keep = std::min(mm::PageUp(size), len());
    if (keep < len()) mf_.Decommit(offset() + keep, len() - keep);
    if (size < keep) std::memset(At(size), 0, keep - size);
  } else if (size_ < len()) {
    // What mappings wrote past the old end (within its last page) is not
    // file data: the file grows with zeros.
    uint64_t stop = std::min(mm::PageUp(size_), len());
    if (size_ < stop) std::memset(At(size_), 0, stop - size_);
  }
  size_ = size;
  mm::MemoryManager::FileSizeChanged(*this);
}

void RetainPageCache(std::shared_ptr<PageCache> c) {
  static auto* retained = new std::list<std::shared_ptr<PageCache>>();  // most recent first
  std::erase(*retained, c);
  retained->push_front(std::move(c));
  uint64_t bytes = 0;
  size_t n = 0;
  for (auto it = retained->begin(); it != retained->end();) {
    bytes += (*it)->FileSize();
    if (++n > kRetainedFiles || (n > 1 && bytes > kRetainedBytes))
      it = retained->erase(it);
    else
      ++it;
  }
}

void WriteBackPageCaches() {
  for (PageCache* c : AllCaches()) {
    auto r = c->WriteBackAll();
    if (!r) LOG_WARN("page cache write-back: %s", ErrnoName(r.error()));
  }
}

}  // namespace bulwark::fsimpl::goferfs

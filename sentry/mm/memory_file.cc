#include "sentry/mm/memory_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include "base/log.h"

namespace bulwark::mm {

Result<std::unique_ptr<MemoryFile>> MemoryFile::Create(uint64_t size) {
  std::unique_ptr<MemoryFile> mf(new MemoryFile());
  mf->fd_.reset(memfd_create("bulwark-memory", MFD_CLOEXEC));
  if (!mf->fd_) return HostError("memfd_create(memory file)");
  if (ftruncate(mf->fd_.get(), static_cast<off_t>(size)) != 0)
    return HostError("ftruncate(memory file)");
  // One sparse mapping of the whole file; pages are allocated on touch.
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
                 mf->fd_.get(), 0);
  if (p == MAP_FAILED) return HostError("mmap(memory file)");
  mf->base_ = static_cast<uint8_t*>(p);
  mf->size_ = size;
  mf->free_[0] = size;
  return mf;
}

MemoryFile::~MemoryFile() {
  if (base_ != nullptr) munmap(base_, size_);
}

SysResult<uint64_t> MemoryFile::Allocate(uint64_t len) {
  // First fit from the low end keeps the file's populated range compact.
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    if (it->second < len) continue;
    uint64_t off = it->first;
    uint64_t rest = it->second - len;
    free_.erase(it);
    if (rest > 0) free_[off + len] = rest;
    return off;
  }
  return Err(Errno::kENOMEM);
}

void MemoryFile::Decommit(uint64_t off, uint64_t len) {
  if (len == 0) return;
  fallocate(fd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(off),
            static_cast<off_t>(len));
}

void MemoryFile::Free(uint64_t off, uint64_t len) {
  Decommit(off, len);
  auto next = free_.lower_bound(off);
  // Coalesce with the following range.
  if (next != free_.end() && next->first == off + len) {
    len += next->second;
    next = free_.erase(next);
  }
  // And with the preceding one.
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == off) {
      prev->second += len;
      return;
    }
  }
  free_[off] = len;
}

void MemoryFile::CopyPopulated(uint64_t src, uint64_t dst, uint64_t len) {
  uint64_t end = src + len;
  uint64_t pos = src;
  while (pos < end) {
    off_t data = lseek(fd_.get(), static_cast<off_t>(pos), SEEK_DATA);
    if (data < 0 || static_cast<uint64_t>(data) >= end) break;
    off_t hole = lseek(fd_.get(), data, SEEK_HOLE);
    uint64_t stop = hole < 0 ? end : std::min<uint64_t>(end, static_cast<uint64_t>(hole));
    std::memcpy(base_ + dst + (data - src), base_ + data, stop - data);
    pos = stop;
  }
}

uint64_t MemoryFile::Populated() const {
  struct stat st;
  if (fstat(fd_.get(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

}  // namespace bulwark::mm

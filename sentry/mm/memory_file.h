// The memory file: one memfd holding all application memory.
#pragma once

#include <cstdint>
#include <map>
#include <memory>

#include "base/result.h"
#include "base/unique_fd.h"

namespace bulwark::mm {

// Owns the memfd and the sentry's single mapping of it. Offsets are
// allocated from a sparse address space of `size` bytes; pages cost memory
// only once touched. Guarded by the kernel lock.
class MemoryFile {
 public:
  static Result<std::unique_ptr<MemoryFile>> Create(uint64_t size);
  ~MemoryFile();

  int fd() const { return fd_.get(); }
  // Sentry address of file offset `off`. Precondition: off < size().
  uint8_t* At(uint64_t off) const { return base_ + off; }
  uint64_t size() const { return size_; }

  // Allocates `len` (page-aligned) bytes of file offsets; ENOMEM when the
  // file's address space is exhausted.
  SysResult<uint64_t> Allocate(uint64_t len);
  // Returns a range to the allocator and releases its pages.
  void Free(uint64_t off, uint64_t len);
  // Releases the pages of a range (reads as zero afterwards).
  void Decommit(uint64_t off, uint64_t len);
  // Copies the populated pages of [src, src+len) to dst (both allocated).
  void CopyPopulated(uint64_t src, uint64_t dst, uint64_t len);
  // Bytes of pages currently populated (for /proc/meminfo).
  uint64_t Populated() const;

 private:
  MemoryFile() = default;
  UniqueFd fd_;
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  std::map<uint64_t, uint64_t> free_;  // offset -> length, coalesced
};

}  // namespace bulwark::mm

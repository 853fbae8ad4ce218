// Plain types shared by the VFS and the filesystems.
#pragma once

#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

#include <cstdint>
#include <span>
#include <string>

namespace bulwark::vfs {

// File attributes (the fields of statx that we keep).
struct Stat {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint32_t mode = 0;  // type and permission bits
  uint32_t nlink = 1;
  uint32_t uid = 0, gid = 0;
  uint64_t rdev = 0;
  uint64_t size = 0;
  uint32_t blksize = 4096;
  uint64_t blocks = 0;  // 512-byte units
  timespec atime{}, mtime{}, ctime{}, btime{};
};

// Which fields of a SetStat request apply (like struct iattr).
struct SetStatRequest {
  enum : uint32_t {
    kMode = 1, kUid = 2, kGid = 4, kSize = 8, kAtime = 16, kMtime = 32,
    kAtimeNow = 64, kMtimeNow = 128, kCtime = 256,
  };
  uint32_t mask = 0;
  uint32_t mode = 0;  // permission bits only
  uint32_t uid = 0, gid = 0;
  uint64_t size = 0;
  timespec atime{}, mtime{};
};

struct DirEntry {
  uint64_t ino = 0;
  uint8_t type = 0;  // DT_*
  std::string name;
};

// Scatter/gather list of host (sentry) memory, e.g. application memory
// translated by the memory manager. Preconditions: every iovec stays valid
// for the duration of the call.
using IoVecs = std::span<const iovec>;

inline size_t TotalLength(IoVecs iov) {
  size_t n = 0;
  for (const iovec& v : iov) n += v.iov_len;
  return n;
}

// Current time for timestamps.
timespec Now();

uint8_t DirentType(uint32_t mode);

}  // namespace bulwark::vfs

#include "sentry/vfs/file.h"

#include <fcntl.h>
#include <unistd.h>

#include "sentry/vfs/fsnotify.h"

namespace bulwark::vfs {

namespace {
constexpr int kSettableFlags = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;
}  // namespace

FileDescription::~FileDescription() {
  // Before path_ goes: the mark is linked into the inode path_ keeps.
  dnotify.reset();
  async_waiter.reset();
  // __fput(): the last reference to the description is gone.
  NotifyFile(*this, Writable() ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
  if (write_access) write_access->PutWriteAccess();
}

void FileDescription::SetStatusFlags(int flags) {
  flags_ = (flags_ & ~kSettableFlags) | (flags & kSettableFlags);
}

// generic_file_llseek() for files, dcache_dir_lseek() for directories
// (which reject SEEK_END, SEEK_DATA and SEEK_HOLE with EINVAL).
SysResult<uint64_t> FileDescription::Seek(kernel::Task& t, int64_t off, int whence) {
  bool dir = path_.dentry && path_.ino().IsDir();
  int64_t base = 0;
  switch (whence) {
    case SEEK_SET:
      break;
    case SEEK_CUR:
      base = static_cast<int64_t>(offset);
      break;
    case SEEK_END:
      if (dir) return Err(Errno::kEINVAL);
      base = static_cast<int64_t>(TRY(GetStat()).size);
      break;
    case SEEK_DATA:
    case SEEK_HOLE: {
      if (dir) return Err(Errno::kEINVAL);
      auto size = static_cast<int64_t>(TRY(GetStat()).size);
      if (off < 0 || off >= size) return Err(Errno::kENXIO);
      // The whole file is data: the only hole is the one at its end.
      offset = static_cast<uint64_t>(whence == SEEK_DATA ? off : size);
      return offset;
    }
    default:
      return Err(Errno::kEINVAL);
  }
  int64_t result;
  // Linux computes the sum with wrap-around and then rejects the negative
  // result with EINVAL.
  if (__builtin_add_overflow(base, off, &result) || result < 0) return Err(Errno::kEINVAL);
  offset = static_cast<uint64_t>(result);
  return offset;
}

SysResult<std::vector<DirEntry>> FileDescription::ReadDir(kernel::Task& t) {
  if (!path_.dentry) return Err(Errno::kENOTDIR);
  return path_.ino().ReadDir();
}

// Anonymous files without a path look like Linux's anon_inode: mode 0600
// without a file type.
SysResult<Stat> FileDescription::GetStat() {
  if (!path_.dentry) {
    Stat st;
    st.mode = S_IRUSR | S_IWUSR;
    return st;
  }
  return path_.ino().GetStat();
}

SysResult<void> FileDescription::SetStat(const SetStatRequest& req) {
  if (!path_.dentry) return Err(Errno::kEPERM);
  return path_.ino().SetStat(req);
}

}  // namespace bulwark::vfs

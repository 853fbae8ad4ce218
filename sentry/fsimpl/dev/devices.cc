// The memory character devices (mem(4), null(4), random(4)), /dev/tty and
// the pty devices (handed to devpts).

#include <sys/random.h>
#include <sys/sysmacros.h>

#include <cstring>

#include "sentry/fsimpl/dev/devfs.h"
#include "sentry/fsimpl/tty/job_control.h"
#include "sentry/kernel/task.h"

namespace bulwark::fsimpl::dev {

namespace {

enum class Kind { kNull, kZero, kFull, kRandom };

// Offsets mean nothing to these devices: lseek always lands on 0 (as
// null_lseek() in drivers/char/mem.c).
class MemDevice : public vfs::FileDescription {
 public:
  MemDevice(const vfs::Path& path, int flags, Kind kind)
      : vfs::FileDescription(path, flags), kind_(kind) {}

  SysResult<size_t> Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) override {
    switch (kind_) {
      case Kind::kNull: return 0;
      case Kind::kZero:
      case Kind::kFull:
        for (const iovec& v : dst) std::memset(v.iov_base, 0, v.iov_len);
        return vfs::TotalLength(dst);
      case Kind::kRandom: return ReadRandom(t, dst);
    }
    return Err(Errno::kEINVAL);
  }

  SysResult<size_t> Write(kernel::Task& t, vfs::IoVecs src, uint64_t off) override {
    if (kind_ == Kind::kFull) return Err(Errno::kENOSPC);
    // Writes to random(4) would mix into the pool; the host's pool is not
    // the sandbox's to stir, so they are accepted and dropped.
    return vfs::TotalLength(src);
  }

  SysResult<uint64_t> Seek(kernel::Task& t, int64_t off, int whence) override {
    offset = 0;
    return 0;
  }

 private:
  static SysResult<size_t> ReadRandom(kernel::Task& t, vfs::IoVecs dst) {
    size_t total = 0;
    for (const iovec& v : dst) {
      size_t done = 0;
      while (done < v.iov_len) {
        ssize_t n = t.Unlocked([&]() -> ssize_t {
          ssize_t r = getrandom(static_cast<char*>(v.iov_base) + done, v.iov_len - done, 0);
          return r < 0 ? -errno : r;
        });
        if (n == -EINTR) continue;
        if (n < 0) {
          if (total + done) return total + done;
          return Err(FromInt(static_cast<int>(-n)));
        }
        done += n;
      }
      total += done;
    }
    return total;
  }

  Kind kind_;
};

}  // namespace

memfs::SpecialOpener DeviceOpener(DevOptions options) {
  return [options = std::move(options)](kernel::Task& task, const vfs::Path& path, int flags,
                                        uint64_t rdev)
             -> SysResult<std::shared_ptr<vfs::FileDescription>> {
    uint32_t type = path.ino().type();
    if (type == S_IFIFO) {
      if (!options.open_fifo) return Err(Errno::kENXIO);
      return options.open_fifo(task, path, flags, rdev);
    }
    if (type != S_IFCHR) return Err(Errno::kENXIO);
    auto mem = [&](Kind k) -> SysResult<std::shared_ptr<vfs::FileDescription>> {
      return std::shared_ptr<vfs::FileDescription>(std::make_shared<MemDevice>(path, flags, k));
    };
    switch (major(rdev)) {
      case 1:
        switch (minor(rdev)) {
          case 3: return mem(Kind::kNull);
          case 5: return mem(Kind::kZero);
          case 7: return mem(Kind::kFull);
          case 8:
          case 9: return mem(Kind::kRandom);
        }
        break;
      case 5:
        if (minor(rdev) == 0) {
          // The caller's controlling terminal when it is a pty.
          if (tty::JobControl* ctty = tty::TtyOfSession(task.tg().sid)) {
            auto f = ctty->Reopen(task, path, flags);
            if (f || f.error() != Errno::kENXIO) return f;
          }
          if (!options.tty) return Err(Errno::kENXIO);
          return host::NewHostFileDescription(options.tty, flags, path);
        }
        if (minor(rdev) == 2 && options.pts)
          return devpts::OpenPtyDevice(task, *options.pts, path, flags, rdev);
        break;
    }
    if (major(rdev) >= 136 && major(rdev) <= 143 && options.pts)
      return devpts::OpenPtyDevice(task, *options.pts, path, flags, rdev);
    return Err(Errno::kENXIO);
  };
}

}  // namespace bulwark::fsimpl::dev

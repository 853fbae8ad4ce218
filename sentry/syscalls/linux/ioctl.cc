#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

#include "sentry/syscalls/linux/fcntl_async.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_ioctl.h"

namespace bulwark::syscalls {

// do_vfs_ioctl() handles the generic commands; the rest go to the file.
SysResult<uint64_t> sys_ioctl(Task& t, GuestFd fd, uint32_t cmd, uint64_t arg) {
  std::shared_ptr<vfs::FileDescription> f = TRY(GetFile(t, fd.value));
  switch (cmd) {
    case FIOCLEX:
      TRY(t.fds().SetCloexec(fd.value, true));
      return 0;
    case FIONCLEX:
      TRY(t.fds().SetCloexec(fd.value, false));
      return 0;
    case FIONBIO: {
      int on = TRY(t.CopyIn(UserPtr<int>{arg}));
      f->SetStatusFlags(on ? (f->flags() | O_NONBLOCK) : (f->flags() & ~O_NONBLOCK));
      return 0;
    }
    case FIOASYNC: {
      int on = TRY(t.CopyIn(UserPtr<int>{arg}));
      int old = f->flags();
      f->SetStatusFlags(on ? (f->flags() | O_ASYNC) : (f->flags() & ~O_ASYNC));
      if ((old ^ f->flags()) & O_ASYNC) UpdateAsync(t, *f, fd.value);
      return 0;
    }
    case FIOQSIZE: {
      vfs::Stat st = TRY(f->GetStat());
      if (!S_ISDIR(st.mode) && !S_ISREG(st.mode) && !S_ISLNK(st.mode)) return Err(Errno::kENOTTY);
      auto bytes = static_cast<int64_t>(st.blocks * 512);
      TRY(t.CopyOut(UserPtr<int64_t>{arg}, bytes));
      return 0;
    }
    case FIGETBSZ: {
      vfs::Stat st = TRY(f->GetStat());
      TRY(t.CopyOut(UserPtr<int>{arg}, static_cast<int>(st.blksize)));
      return 0;
    }
    case FIONREAD: {
      // file_ioctl(): for regular files, the bytes after the offset.
      if (f->path().valid() && f->path().ino().IsRegular()) {
        vfs::Stat st = TRY(f->GetStat());
        auto n = static_cast<int>(static_cast<int64_t>(st.size) - static_cast<int64_t>(f->offset));
        TRY(t.CopyOut(UserPtr<int>{arg}, n));
        return 0;
      }
      return f->Ioctl(t, cmd, arg);
    }
    default:
      return f->Ioctl(t, cmd, arg);
  }
}

}  // namespace bulwark::syscalls

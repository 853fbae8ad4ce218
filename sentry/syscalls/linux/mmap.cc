// Memory mapping syscalls (mmap(2), mprotect(2), mremap(2), brk(2), ...).
#include <sys/mount.h>
#include <sys/personality.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>

#include <vector>

#include "base/log.h"
#include "sentry/fsimpl/gofer/gofer_fs.h"
#include "sentry/fsimpl/memfs/shmem.h"
#include "sentry/syscalls/linux/sys_mmap.h"
#include "sentry/vfs/file.h"

namespace bulwark::syscalls {

namespace {

constexpr int kProtMask = PROT_READ | PROT_WRITE | PROT_EXEC;

bool PageAligned(uint64_t v) { return v % mm::kPageSize == 0; }

// Fills a private mapping from the file (copy at map time; a page cache
// with shared file mappings is #4). Reads past EOF leave zeros.
SysResult<void> FillFromFile(Task& t, vfs::FileDescription& file, uint64_t addr, uint64_t len,
                             uint64_t offset) {
  auto st = TRY(file.GetStat());
  if (offset >= st.size) return {};
  uint64_t n = std::min<uint64_t>(len, st.size - offset);
  const mm::Vma* v = t.mm().FindVma(addr);
  if (v == nullptr) return Err(Errno::kEFAULT);
  uint8_t* dst = t.kernel().memory_file().At(v->FileOffsetOf(addr));
  uint64_t done = 0;
  while (done < n) {
    iovec iov{dst + done, n - done};
    size_t r = TRY(file.Read(t, vfs::IoVecs(&iov, 1), offset + done));
    if (r == 0) break;
    done += r;
  }
  return {};
}

}  // namespace

SysResult<uint64_t> sys_mmap(Task& t, uint64_t addr, uint64_t len, int prot, int flags,
                             GuestFd fd, uint64_t offset) {
  int type = flags & MAP_TYPE;
  if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
    return Err(Errno::kEINVAL);
  if (len == 0 || !PageAligned(offset) || (prot & ~kProtMask & ~(PROT_GROWSDOWN | PROT_GROWSUP)))
    return Err(Errno::kEINVAL);
  if (mm::PageUp(len) < len) return Err(Errno::kENOMEM);
  if ((flags & MAP_FIXED) && !PageAligned(addr)) return Err(Errno::kEINVAL);
  bool anon = (flags & MAP_ANONYMOUS) != 0;
  mm::MapRequest req;
  req.addr = addr;
  req.len = len;
  // do_mmap(): READ_IMPLIES_EXEC makes readable mappings executable (not
  // those of files on noexec mounts, below).
  int asked_prot = prot;
  if ((prot & PROT_READ) && (t.personality & READ_IMPLIES_EXEC)) prot |= PROT_EXEC;
  req.prot = prot & kProtMask;
  req.fixed = (flags & MAP_FIXED) != 0;
  req.fixed_noreplace = (flags & MAP_FIXED_NOREPLACE) != 0 && !req.fixed;
  req.shared = type != MAP_PRIVATE;
  req.growsdown = (flags & MAP_GROWSDOWN) != 0;
  std::shared_ptr<vfs::FileDescription> file;
  if (!anon) {
    file = TRY(t.fds().Get(fd.value));
    if (!file->Readable()) return Err(Errno::kEACCES);
    if (req.shared && (prot & PROT_WRITE) && !file->Writable()) return Err(Errno::kEACCES);
    auto st = TRY(file->GetStat());
    if (!S_ISREG(st.mode) && !S_ISCHR(st.mode)) return Err(Errno::kENODEV);
    if (S_ISREG(st.mode) && file->path().valid() && (file->path().mount->flags() & MS_NOEXEC)) {
      // do_mmap(): no executable mapping of a file of a noexec mount, and
      // mprotect cannot add PROT_EXEC later (VM_MAYEXEC clear).
      if (asked_prot & PROT_EXEC) return Err(Errno::kEPERM);
      prot &= ~PROT_EXEC;
      req.prot &= ~PROT_EXEC;
      req.mayexec = false;
    }
    if (S_ISREG(st.mode)) {
      req.name = file->path().valid()
                     ? t.kernel().mounts().PathString(file->path(), t.fs().root)
                     : file->AnonName();
      req.file_offset = offset;
      req.dev = st.dev;
      req.ino = st.ino;
    }
    if (S_ISCHR(st.mode)) {
      // /dev/zero maps as anonymous memory; other devices cannot be mapped.
      if (st.rdev != makedev(1, 5)) return Err(Errno::kENODEV);
      anon = true;
    } else if (req.shared && fsimpl::memfs::IsMemFile(*file)) {
      // tmpfs, /dev/shm and memfd files: the mapping shares the file's
      // memory-file pages (shmem). Seals: F_SEAL_WRITE/FUTURE_WRITE forbid
      // writable shared mappings (memfd_file_seals / seal_check_write()).
      if ((prot & PROT_WRITE) &&
          (TRY(fsimpl::memfs::GetSeals(*file)) & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
        return Err(Errno::kEPERM);
      if (offset + mm::PageUp(len) < offset) return Err(Errno::kEOVERFLOW);
      req.backing = TRY(fsimpl::memfs::SharedBackingOf(t, *file, t.kernel().memory_file(),
                                                        offset + mm::PageUp(len)));
      req.backing_offset = offset;
      req.maywrite = file->Writable();
      return t.mm().Map(req);
    } else if (req.shared) {
      // Gofer files: their page cache (gofer/page_cache.h).
      if (offset + mm::PageUp(len) < offset) return Err(Errno::kEOVERFLOW);
      auto backing = fsimpl::goferfs::PageCacheOf(*file, t.kernel().memory_file(), offset,
                                                  mm::PageUp(len), /*shared=*/true);
      if (!backing) {
        LOG_WARN("mmap: MAP_SHARED of this kind of file is not supported");
        return Err(Errno::kENODEV);
      }
      req.backing = TRY(std::move(*backing));
      req.backing_offset = offset;
      req.maywrite = file->Writable();
      return t.mm().Map(req);
    } else if (!(prot & PROT_WRITE)) {
      // Private and read-only (text, rodata, libraries): the file's cached
      // pages, not a copy (mm::Vma::file_pages). An overlay file not
      // copied up maps its lower file's pages.
      if (offset + mm::PageUp(len) < offset) return Err(Errno::kEOVERFLOW);
      std::shared_ptr<vfs::FileDescription> lower = fsimpl::memfs::UncopiedLowerOf(*file);
      auto backing = fsimpl::goferfs::PageCacheOf(lower ? *lower : *file,
                                                  t.kernel().memory_file(), offset,
                                                  mm::PageUp(len), /*shared=*/false);
      if (backing) {
        req.backing = TRY(std::move(*backing));
        req.backing_offset = offset;
        req.maywrite = true;
        return t.mm().Map(req);
      }
      req.file_size = st.size;  // a copy of another kind of file, below
    } else {
      // A private copy of the file; pages past its end raise SIGBUS.
      req.file_size = st.size;
    }
  }
  uint64_t start = TRY(t.mm().Map(req));
  if (file && !anon) {
    auto r = FillFromFile(t, *file, start, mm::PageUp(len), offset);
    if (!r) {
      (void)t.mm().Unmap(start, mm::PageUp(len));
      return Err(r.error());
    }
  }
  return start;
}

SysResult<void> sys_munmap(Task& t, uint64_t addr, uint64_t len) { return t.mm().Unmap(addr, len); }

SysResult<void> sys_mprotect(Task& t, uint64_t addr, uint64_t len, int prot) {
  if (prot & ~(kProtMask | PROT_GROWSDOWN | PROT_GROWSUP)) return Err(Errno::kEINVAL);
  return t.mm().Protect(addr, len, prot & kProtMask, t.personality & READ_IMPLIES_EXEC);
}

SysResult<uint64_t> sys_mremap(Task& t, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
                               int flags, uint64_t new_addr) {
  return t.mm().Remap(old_addr, old_len, new_len, flags, new_addr);
}

SysResult<uint64_t> sys_brk(Task& t, uint64_t addr) { return t.mm().Brk(addr); }

SysResult<void> sys_madvise(Task& t, uint64_t addr, uint64_t len, int advice) {
  if (!PageAligned(addr)) return Err(Errno::kEINVAL);
  uint64_t end = addr + mm::PageUp(len);
  switch (advice) {
    case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
    case MADV_MERGEABLE: case MADV_UNMERGEABLE:
    case MADV_HUGEPAGE: case MADV_NOHUGEPAGE: case MADV_DONTDUMP: case MADV_DODUMP:
    case MADV_FREE: case MADV_COLD: case MADV_PAGEOUT:
      // Hints: no effect on semantics here, but the range must be mapped
      // (madvise(2): ENOMEM).
      for (uint64_t a = addr; a < end;) {
        const mm::Vma* v = t.mm().FindVma(a);
        if (v == nullptr) return Err(Errno::kENOMEM);
        a = v->end;
      }
      break;
    case MADV_DONTFORK: case MADV_DOFORK: case MADV_WIPEONFORK: case MADV_KEEPONFORK:
      return t.mm().SetForkAdvice(addr, len, advice);
    case MADV_DONTNEED: {
      // Private anonymous pages read back as zero afterwards.
      for (uint64_t a = addr; a < end;) {
        const mm::Vma* v = t.mm().FindVma(a);
        if (v == nullptr) return Err(Errno::kENOMEM);
        uint64_t stop = std::min(end, v->end);
        // file_pages VMAs map a page cache: nothing of their own to drop.
        if (!v->shared && !v->file_pages)
          t.kernel().memory_file().Decommit(v->FileOffsetOf(a), stop - a);
        a = stop;
      }
      break;
    }
    case MADV_REMOVE:
    case MADV_HWPOISON:
      return Err(Errno::kEINVAL);
    default:
      return Err(Errno::kEINVAL);
  }
  return {};
}

SysResult<void> sys_msync(Task& t, uint64_t addr, uint64_t len, int flags) {
  if (!PageAligned(addr) || (flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) ||
      ((flags & MS_ASYNC) && (flags & MS_SYNC)))
    return Err(Errno::kEINVAL);
  for (uint64_t a = addr, end = addr + mm::PageUp(len); a < end;) {
    const mm::Vma* v = t.mm().FindVma(a);
    if (v == nullptr) return Err(Errno::kENOMEM);
    a = v->end;
  }
  // MS_ASYNC writes back too (Linux only marks the pages for write-back):
  // modified pages are not tracked, so this is the only moment. MS_INVALIDATE:
  // mappings and the file share one cache, nothing to invalidate.
  if (flags & (MS_SYNC | MS_ASYNC)) return t.mm().Sync(addr, len);
  return {};
}

SysResult<void> sys_mincore(Task& t, uint64_t addr, uint64_t len, UserPtr<uint8_t> vec) {
  if (!PageAligned(addr)) return Err(Errno::kEINVAL);
  uint64_t pages = mm::PageUp(len) / mm::kPageSize;
  for (uint64_t a = addr, end = addr + pages * mm::kPageSize; a < end;) {
    const mm::Vma* v = t.mm().FindVma(a);
    if (v == nullptr) return Err(Errno::kENOMEM);
    a = v->end;
  }
  // Memory-file pages are always resident (no swap).
  std::vector<uint8_t> out(pages, 1);
  return t.CopyOutBytes(vec.addr, out.data(), out.size());
}

// mlock family: every page is resident anyway (no swap), so locking only
// checks its arguments as mlock(2) does. Locked memory is not accounted:
// the RLIMIT_MEMLOCK check compares one call's length with the limit.
namespace {

SysResult<void> CheckMlock(Task& t, uint64_t addr, uint64_t len) {
  uint64_t start = mm::PageDown(addr);
  uint64_t end = mm::PageUp(addr + len);
  if (addr + len < addr || (len && end == 0)) return Err(Errno::kEINVAL);
  bool capable = t.creds().HasCap(CAP_IPC_LOCK);
  uint64_t limit = t.tg().rlimits[RLIMIT_MEMLOCK].cur;
  // can_do_mlock(): a zero limit without CAP_IPC_LOCK is EPERM.
  if (limit == 0 && !capable) return Err(Errno::kEPERM);
  for (uint64_t a = start; a < end;) {
    const mm::Vma* v = t.mm().FindVma(a);
    if (v == nullptr) return Err(Errno::kENOMEM);
    a = v->end;
  }
  if (!capable && limit != RLIM_INFINITY && end - start > limit) return Err(Errno::kENOMEM);
  return {};
}

}  // namespace

SysResult<void> sys_mlock(Task& t, uint64_t addr, uint64_t len) { return CheckMlock(t, addr, len); }

SysResult<void> sys_mlock2(Task& t, uint64_t addr, uint64_t len, unsigned flags) {
  if (flags & ~MLOCK_ONFAULT) return Err(Errno::kEINVAL);
  return CheckMlock(t, addr, len);
}

SysResult<void> sys_munlock(Task& t, uint64_t addr, uint64_t len) {
  uint64_t start = mm::PageDown(addr), end = mm::PageUp(addr + len);
  if (addr + len < addr) return Err(Errno::kEINVAL);
  for (uint64_t a = start; a < end;) {
    const mm::Vma* v = t.mm().FindVma(a);
    if (v == nullptr) return Err(Errno::kENOMEM);
    a = v->end;
  }
  return {};
}

SysResult<void> sys_mlockall(Task& t, int flags) {
  if (flags == 0 || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
    return Err(Errno::kEINVAL);
  if (t.tg().rlimits[RLIMIT_MEMLOCK].cur == 0 && !t.creds().HasCap(CAP_IPC_LOCK))
    return Err(Errno::kEPERM);
  return {};
}

SysResult<void> sys_munlockall(Task& t) { return {}; }

}  // namespace bulwark::syscalls

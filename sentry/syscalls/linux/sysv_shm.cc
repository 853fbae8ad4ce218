// System V shared memory: shmget(2), shmat(2), shmdt(2), shmctl(2).
//
// A segment is a range of the memory file (mm::Backing); attaching maps
// it MAP_SHARED, so attachments in any process share pages, and fork
// shares them as Linux does. The attach count is the number of VMAs
// holding the range (a VMA split by a partial munmap or mprotect counts
// twice, unlike Linux); a segment removed with IPC_RMID goes away when the
// last attachment does.
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include <cstdio>

#include "sentry/syscalls/linux/sys_sysv.h"
#include "sentry/syscalls/linux/sysv_ipc.h"

namespace bulwark::syscalls {

namespace {

constexpr uint64_t kShmMax = 1ull << 46;  // far below ULONG_MAX - 2^24 (SHMMAX); memory-file bound
constexpr size_t kShmMni = 4096;          // SHMMNI

struct Segment {
  sysv::Perm perm;
  int index = 0;
  uint64_t size = 0;
  std::shared_ptr<mm::Backing> backing;
  int64_t atime = 0, dtime = 0;
  pid_t cpid = 0, lpid = 0;

  uint64_t nattch() const { return backing.use_count() - 1; }
};

sysv::Table<Segment>& Segments(Task& t) { return sysv::TableOf<Segment>(t, 0); }

// Drops segments marked for removal that nothing maps any more.
void Reap(Task& t) {
  std::vector<int> gone;
  for (const auto& [id, s] : Segments(t).all())
    if (s->perm.deleted && s->nattch() == 0) gone.push_back(id);
  for (int id : gone) Segments(t).Remove(id);
}

std::string MapName(const Segment& s) {
  char buf[64];
  snprintf(buf, sizeof buf, "/SYSV%08x (deleted)", static_cast<unsigned>(s.perm.key));
  return buf;
}

}  // namespace

SysResult<int> sys_shmget(Task& t, int key, size_t size, int flags) {
  Reap(t);
  auto create = [&]() -> SysResult<int> {
    if (size < 1 || size > kShmMax) return Err(Errno::kEINVAL);
    auto s = std::make_shared<Segment>();
    s->perm = sysv::NewPerm(t.creds(), key, flags);
    s->size = size;
    uint64_t len = mm::PageUp(size);
    uint64_t off = TRY(t.kernel().memory_file().Allocate(len));
    s->backing = std::make_shared<mm::Backing>(t.kernel().memory_file(), off, len);
    s->cpid = t.tgid();
    return Segments(t).Add(std::move(s), kShmMni);
  };
  auto check = [&](const Segment& s) -> SysResult<void> {
    if (size > s.size) return Err(Errno::kEINVAL);
    return {};
  };
  return sysv::Get(Segments(t), t.creds(), key, flags, create, check);
}

SysResult<uint64_t> sys_shmat(Task& t, int id, uint64_t addr, int flags) {
  Reap(t);
  std::shared_ptr<Segment> s = TRY(Segments(t).Get(id));
  if (addr % SHMLBA) {
    if (!(flags & SHM_RND)) return Err(Errno::kEINVAL);
    addr &= ~static_cast<uint64_t>(SHMLBA - 1);
  }
  int prot = PROT_READ;
  int need = 0400;
  if (!(flags & SHM_RDONLY)) {
    prot |= PROT_WRITE;
    need |= 0200;
  }
  if (flags & SHM_EXEC) {
    prot |= PROT_EXEC;
    need |= 0100;
  }
  TRY(sysv::CheckAccess(t.creds(), s->perm, need));
  mm::MapRequest req;
  req.addr = addr;
  req.len = mm::PageUp(s->size);
  req.prot = prot;
  req.shared = true;
  req.backing = s->backing;
  req.name = MapName(*s);
  if (addr != 0) {
    // Without SHM_REMAP an existing mapping in the way is EINVAL.
    if (flags & SHM_REMAP) {
      req.fixed = true;
    } else {
      req.fixed_noreplace = true;
    }
  }
  auto r = t.mm().Map(req);
  if (!r) return Err(r.error() == Errno::kEEXIST ? Errno::kEINVAL : r.error());
  s->atime = sysv::NowSeconds();
  s->lpid = t.tgid();
  return *r;
}

// Unmaps the attachment starting at `addr` (do_shmdt()).
SysResult<void> sys_shmdt(Task& t, uint64_t addr) {
  if (addr % mm::kPageSize) return Err(Errno::kEINVAL);
  const mm::Vma* v = t.mm().FindVma(addr);
  if (v == nullptr || v->start != addr || v->backing_offset != 0) return Err(Errno::kEINVAL);
  std::shared_ptr<Segment> seg;
  for (const auto& [id, s] : Segments(t).all())
    if (s->backing == v->backing) seg = s;
  if (!seg) return Err(Errno::kEINVAL);
  uint64_t end = addr + mm::PageUp(seg->size);
  // Whole VMAs of this segment from addr on, up to its size.
  uint64_t stop = addr;
  while (stop < end) {
    const mm::Vma* w = t.mm().FindVma(stop);
    if (w == nullptr || w->backing != seg->backing) break;
    stop = std::min(end, w->end);
  }
  TRY(t.mm().Unmap(addr, stop - addr));
  seg->dtime = sysv::NowSeconds();
  seg->lpid = t.tgid();
  Reap(t);
  return {};
}

SysResult<int> sys_shmctl(Task& t, int id, int cmd, uint64_t ubuf) {
  Reap(t);
  cmd &= ~sysv::kIpc64;
  switch (cmd) {
    case IPC_INFO: {
      shminfo info{};
      info.shmmax = kShmMax;
      info.shmmin = 1;
      info.shmmni = kShmMni;
      info.shmseg = kShmMni;
      info.shmall = kShmMax / mm::kPageSize;
      TRY(t.CopyOutBytes(ubuf, &info, sizeof info));
      return Segments(t).all().empty() ? 0 : Segments(t).all().rbegin()->second->index;
    }
    case SHM_INFO: {
      shm_info info{};
      info.used_ids = static_cast<int>(Segments(t).all().size());
      for (const auto& [i, s] : Segments(t).all()) info.shm_tot += mm::PageUp(s->size) / mm::kPageSize;
      TRY(t.CopyOutBytes(ubuf, &info, sizeof info));
      return Segments(t).all().empty() ? 0 : Segments(t).all().rbegin()->second->index;
    }
    case IPC_STAT:
    case SHM_STAT:
    case SHM_STAT_ANY: {
      std::shared_ptr<Segment> s;
      int ret = 0;
      if (cmd == IPC_STAT) {
        s = TRY(Segments(t).Get(id));
      } else {
        // SHM_STAT takes an index and returns the id.
        for (const auto& [i, seg] : Segments(t).all())
          if (seg->index == id) {
            s = seg;
            ret = i;
          }
        if (!s) return Err(Errno::kEINVAL);
      }
      if (cmd != SHM_STAT_ANY) TRY(sysv::CheckAccess(t.creds(), s->perm, 0400));
      shmid_ds ds{};
      s->perm.FillIpcPerm(&ds.shm_perm);
      if (s->perm.deleted) ds.shm_perm.mode |= SHM_DEST;
      ds.shm_segsz = s->size;
      ds.shm_atime = s->atime;
      ds.shm_dtime = s->dtime;
      ds.shm_ctime = s->perm.ctime;
      ds.shm_cpid = s->cpid;
      ds.shm_lpid = s->lpid;
      ds.shm_nattch = s->nattch();
      TRY(t.CopyOutBytes(ubuf, &ds, sizeof ds));
      return ret;
    }
    case IPC_SET: {
      std::shared_ptr<Segment> s = TRY(Segments(t).Get(id));
      shmid_ds ds;
      TRY(t.CopyInBytes(ubuf, &ds, sizeof ds));
      TRY(sysv::CheckOwner(t.creds(), s->perm));
      sysv::SetPerm(s->perm, ds.shm_perm);
      return 0;
    }
    case IPC_RMID: {
      std::shared_ptr<Segment> s = TRY(Segments(t).Get(id));
      TRY(sysv::CheckOwner(t.creds(), s->perm));
      s->perm.deleted = true;
      s->perm.key = IPC_PRIVATE;
      s.reset();
      Reap(t);
      return 0;
    }
    case SHM_LOCK:
    case SHM_UNLOCK: {
      // Memory-file pages are never swapped: locking is accepted.
      std::shared_ptr<Segment> s = TRY(Segments(t).Get(id));
      if (!t.creds().HasCap(CAP_IPC_LOCK)) TRY(sysv::CheckOwner(t.creds(), s->perm));
      return 0;
    }
    default:
      return Err(Errno::kEINVAL);
  }
}

}  // namespace bulwark::syscalls

// System V semaphores: semget(2), semop(2), semtimedop(2), semctl(2).
//
// semop applies all operations atomically or none, waiting (unless
// IPC_NOWAIT) until they all can apply. SEM_UNDO is accepted but
// adjustments are not applied at process exit (deliberate gap: no
// per-process undo lists yet).
#include <sys/sem.h>
#include <time.h>

#include <vector>

#include "sentry/kernel/wait_queue.h"
#include "sentry/syscalls/linux/sys_sysv.h"
#include "sentry/syscalls/linux/sysv_ipc.h"

namespace bulwark::syscalls {

namespace {

constexpr int kSemMsl = 32000;   // SEMMSL
constexpr size_t kSemMni = 32000;  // SEMMNI
constexpr size_t kSemOpm = 500;  // SEMOPM
constexpr int kSemVmx = 32767;   // SEMVMX

struct Sem {
  int value = 0;
  pid_t pid = 0;
  int ncnt = 0, zcnt = 0;  // tasks waiting for increase / for zero
};

struct SemSet {
  sysv::Perm perm;
  int index = 0;
  std::vector<Sem> sems;
  int64_t otime = 0;
  bool removed = false;
  kernel::WaitQueue queue;  // notified on every change
};

sysv::Table<SemSet>& Sets(Task& t) { return sysv::TableOf<SemSet>(t, 1); }

// semun passed by value: the int member is the low half of the register.
int ArgVal(uint64_t arg) { return static_cast<int>(static_cast<uint32_t>(arg)); }

// One attempt at `sops`. Returns true when applied; false with `*blocker`
// the index of the operation that has to wait.
SysResult<bool> TryApply(SemSet& s, const std::vector<sembuf>& sops, pid_t pid, size_t* blocker) {
  std::vector<int> vals(s.sems.size());
  for (size_t i = 0; i < s.sems.size(); ++i) vals[i] = s.sems[i].value;
  for (size_t i = 0; i < sops.size(); ++i) {
    const sembuf& op = sops[i];
    int& v = vals[op.sem_num];
    if (op.sem_op == 0) {
      if (v != 0) {
        *blocker = i;
        return false;
      }
    } else if (op.sem_op < 0) {
      if (v + op.sem_op < 0) {
        *blocker = i;
        return false;
      }
      v += op.sem_op;
    } else {
      if (v + op.sem_op > kSemVmx) return Err(Errno::kERANGE);
      v += op.sem_op;
    }
  }
  for (size_t i = 0; i < s.sems.size(); ++i) s.sems[i].value = vals[i];
  for (const sembuf& op : sops) s.sems[op.sem_num].pid = pid;
  return true;
}

SysResult<void> DoSemop(Task& t, int id, UserPtr<sembuf> usops, size_t nsops,
                        const timespec* timeout) {
  if (nsops < 1) return Err(Errno::kEINVAL);
  if (nsops > kSemOpm) return Err(Errno::kE2BIG);
  std::vector<sembuf> sops(nsops);
  TRY(t.CopyInBytes(usops.addr, sops.data(), nsops * sizeof(sembuf)));
  timespec deadline;
  if (timeout) {
    if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000)
      return Err(Errno::kEINVAL);
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout->tv_sec;
    deadline.tv_nsec += timeout->tv_nsec;
    if (deadline.tv_nsec >= 1000000000) {
      deadline.tv_nsec -= 1000000000;
      ++deadline.tv_sec;
    }
  }
  std::shared_ptr<SemSet> s = TRY(Sets(t).Get(id));
  bool alter = false;
  for (const sembuf& op : sops) {
    if (op.sem_num >= s->sems.size()) return Err(Errno::kEFBIG);
    if (op.sem_op != 0) alter = true;
  }
  TRY(sysv::CheckAccess(t.creds(), s->perm, alter ? 0200 : 0400));
  for (;;) {
    if (s->removed) return Err(FromInt(EIDRM));
    size_t blocker = 0;
    if (TRY(TryApply(*s, sops, t.tgid(), &blocker))) {
      s->otime = sysv::NowSeconds();
      if (alter) s->queue.Notify();
      return {};
    }
    const sembuf& op = sops[blocker];
    if (op.sem_flg & IPC_NOWAIT) return Err(Errno::kEAGAIN);
    Sem& sem = s->sems[op.sem_num];
    int& count = op.sem_op == 0 ? sem.zcnt : sem.ncnt;
    ++count;
    s->queue.Add(&t);
    auto r = t.Block(timeout ? &deadline : nullptr);
    s->queue.Remove(&t);
    --count;
    if (!r) {
      if (r.error() == Errno::kETIMEDOUT) return Err(Errno::kEAGAIN);
      // semop is never restarted after a signal handler (EINTR).
      if (r.error() == Errno::kERESTARTSYS) return Err(Errno::kEINTR);
      return Err(r.error());
    }
  }
}

}  // namespace

SysResult<int> sys_semget(Task& t, int key, int nsems, int flags) {
  if (nsems < 0 || nsems > kSemMsl) return Err(Errno::kEINVAL);
  auto create = [&]() -> SysResult<int> {
    if (nsems == 0) return Err(Errno::kEINVAL);
    auto s = std::make_shared<SemSet>();
    s->perm = sysv::NewPerm(t.creds(), key, flags);
    s->sems.resize(nsems);
    return Sets(t).Add(std::move(s), kSemMni);
  };
  auto check = [&](const SemSet& s) -> SysResult<void> {
    if (static_cast<size_t>(nsems) > s.sems.size()) return Err(Errno::kEINVAL);
    return {};
  };
  return sysv::Get(Sets(t), t.creds(), key, flags, create, check);
}

SysResult<void> sys_semop(Task& t, int id, UserPtr<sembuf> sops, size_t nsops) {
  return DoSemop(t, id, sops, nsops, nullptr);
}

SysResult<void> sys_semtimedop(Task& t, int id, UserPtr<sembuf> sops, size_t nsops,
                               UserPtr<timespec> utimeout) {
  if (utimeout.addr == 0) return DoSemop(t, id, sops, nsops, nullptr);
  timespec ts;
  TRY(t.CopyInBytes(utimeout.addr, &ts, sizeof ts));
  return DoSemop(t, id, sops, nsops, &ts);
}

SysResult<int> sys_semctl(Task& t, int id, int semnum, int cmd, uint64_t arg) {
  cmd &= ~sysv::kIpc64;
  if (cmd == IPC_INFO || cmd == SEM_INFO) {
    seminfo info{};
    info.semmni = kSemMni;
    info.semmsl = kSemMsl;
    info.semmns = kSemMni * kSemMsl;
    info.semopm = kSemOpm;
    info.semvmx = kSemVmx;
    info.semmnu = info.semmns;
    info.semume = kSemOpm;
    info.semaem = kSemVmx;
    if (cmd == SEM_INFO) {
      info.semusz = static_cast<int>(Sets(t).all().size());
      int total = 0;
      for (const auto& [i, s] : Sets(t).all()) total += static_cast<int>(s->sems.size());
      info.semaem = total;
    }
    TRY(t.CopyOutBytes(arg, &info, sizeof info));
    return Sets(t).all().empty() ? 0 : Sets(t).all().rbegin()->second->index;
  }
  std::shared_ptr<SemSet> s;
  int ret = 0;
  if (cmd == SEM_STAT || cmd == SEM_STAT_ANY) {
    for (const auto& [i, set] : Sets(t).all())
      if (set->index == id) {
        s = set;
        ret = i;
      }
    if (!s) return Err(Errno::kEINVAL);
  } else {
    s = TRY(Sets(t).Get(id));
  }
  const auto& creds = t.creds();
  auto sem_at = [&](int n) -> SysResult<Sem*> {
    if (n < 0 || static_cast<size_t>(n) >= s->sems.size()) return Err(Errno::kEINVAL);
    return &s->sems[n];
  };
  switch (cmd) {
    case IPC_STAT:
    case SEM_STAT:
    case SEM_STAT_ANY: {
      if (cmd != SEM_STAT_ANY) TRY(sysv::CheckAccess(creds, s->perm, 0400));
      semid_ds ds{};
      s->perm.FillIpcPerm(&ds.sem_perm);
      ds.sem_otime = s->otime;
      ds.sem_ctime = s->perm.ctime;
      ds.sem_nsems = s->sems.size();
      TRY(t.CopyOutBytes(arg, &ds, sizeof ds));
      return ret;
    }
    case IPC_SET: {
      semid_ds ds;
      TRY(t.CopyInBytes(arg, &ds, sizeof ds));
      TRY(sysv::CheckOwner(creds, s->perm));
      sysv::SetPerm(s->perm, ds.sem_perm);
      return 0;
    }
    case IPC_RMID:
      TRY(sysv::CheckOwner(creds, s->perm));
      s->removed = true;
      Sets(t).Remove(id);
      s->queue.Notify();
      return 0;
    case GETVAL:
      TRY(sysv::CheckAccess(creds, s->perm, 0400));
      return TRY(sem_at(semnum))->value;
    case GETPID:
      TRY(sysv::CheckAccess(creds, s->perm, 0400));
      return TRY(sem_at(semnum))->pid;
    case GETNCNT:
      TRY(sysv::CheckAccess(creds, s->perm, 0400));
      return TRY(sem_at(semnum))->ncnt;
    case GETZCNT:
      TRY(sysv::CheckAccess(creds, s->perm, 0400));
      return TRY(sem_at(semnum))->zcnt;
    case GETALL: {
      TRY(sysv::CheckAccess(creds, s->perm, 0400));
      std::vector<unsigned short> vals;
      for (const Sem& m : s->sems) vals.push_back(static_cast<unsigned short>(m.value));
      TRY(t.CopyOutBytes(arg, vals.data(), vals.size() * sizeof(unsigned short)));
      return 0;
    }
    case SETVAL: {
      Sem* m = TRY(sem_at(semnum));
      int v = ArgVal(arg);
      if (v < 0 || v > kSemVmx) return Err(Errno::kERANGE);
      TRY(sysv::CheckAccess(creds, s->perm, 0200));
      m->value = v;
      m->pid = t.tgid();
      s->perm.ctime = sysv::NowSeconds();
      s->queue.Notify();
      return 0;
    }
    case SETALL: {
      TRY(sysv::CheckAccess(creds, s->perm, 0200));
      std::vector<unsigned short> vals(s->sems.size());
      TRY(t.CopyInBytes(arg, vals.data(), vals.size() * sizeof(unsigned short)));
      for (unsigned short v : vals)
        if (v > kSemVmx) return Err(Errno::kERANGE);
      for (size_t i = 0; i < vals.size(); ++i) {
        s->sems[i].value = vals[i];
        s->sems[i].pid = t.tgid();
      }
      s->perm.ctime = sysv::NowSeconds();
      s->queue.Notify();
      return 0;
    }
    default:
      return Err(Errno::kEINVAL);
  }
}

}  // namespace bulwark::syscalls

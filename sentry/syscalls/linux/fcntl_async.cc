#include "sentry/syscalls/linux/fcntl_async.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>

#include <climits>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal_ops.h"
#include "sentry/kernel/thread_group.h"

namespace bulwark::syscalls {

namespace {

constexpr int kNumSignals = 64;  // _NSIG - 1

// band_table[] of fs/fcntl.c, indexed by reason - POLL_IN.
uint32_t Band(int reason) {
  switch (reason) {
    case POLL_IN: return POLLIN | POLLRDNORM;
    case POLL_OUT: return POLLOUT | POLLWRNORM | POLLWRBAND;
    case POLL_MSG: return POLLIN | POLLRDNORM | POLLMSG;
    case POLL_ERR: return POLLERR;
    case POLL_PRI: return POLLPRI | POLLRDBAND;
    case POLL_HUP: return POLLHUP | POLLERR;
    default: return 0;
  }
}

// f_setown()/F_SETOWN_EX's lookup: ESRCH if nothing has that id.
SysResult<void> CheckOwnerExists(Task& t, int type, pid_t pid) {
  if (pid == 0) return {};
  kernel::Kernel& k = t.kernel();
  switch (type) {
    case F_OWNER_TID:
      if (k.TaskByTid(pid) != nullptr) return {};
      break;
    case F_OWNER_PID:
      if (k.ThreadGroupByPid(pid)) return {};
      break;
    default:
      for (const auto& [id, tg] : k.thread_groups())
        if (tg->pgid == pid) return {};
      break;
  }
  return Err(Errno::kESRCH);
}

}  // namespace

SysResult<int64_t> FcntlOwner(Task& t, vfs::FileDescription& f, int cmd, uint64_t arg) {
  vfs::FileOwner& o = f.owner;
  switch (cmd) {
    case F_GETOWN:
      return o.type == F_OWNER_PGRP ? -o.pid : o.pid;
    case F_SETOWN: {
      int who = static_cast<int>(arg);
      if (who == INT_MIN) return Err(Errno::kEINVAL);
      int type = who < 0 ? F_OWNER_PGRP : F_OWNER_PID;
      pid_t pid = who < 0 ? -who : who;
      TRY(CheckOwnerExists(t, type, pid));
      o.type = type;
      o.pid = pid;
      return 0;
    }
    case F_GETOWN_EX: {
      // Linux (6.12 on) copies nothing out for a file whose owner was
      // never set; the answer would be {F_OWNER_TID, 0} before.
      f_owner_ex ex{static_cast<__pid_type>(o.type), o.pid};
      if (o.pid != 0 || o.type != F_OWNER_PID) TRY(t.CopyOut(UserPtr<f_owner_ex>{arg}, ex));
      return 0;
    }
    case F_SETOWN_EX: {
      f_owner_ex ex = TRY(t.CopyIn(UserPtr<f_owner_ex>{arg}));
      if (ex.type != F_OWNER_TID && ex.type != F_OWNER_PID && ex.type != F_OWNER_PGRP)
        return Err(Errno::kEINVAL);
      TRY(CheckOwnerExists(t, ex.type, ex.pid));
      o.type = ex.type;
      o.pid = ex.pid;
      return 0;
    }
    case F_GETSIG:
      return o.signum;
    case F_SETSIG:
      if (arg > kNumSignals) return Err(Errno::kEINVAL);
      o.signum = static_cast<int>(arg);
      return 0;
    default:
      return Err(Errno::kEINVAL);
  }
}

// send_sigio(): without F_SETSIG a plain SIGIO (SEND_SIG_PRIV); with it,
// the signal carries the fd and band. Linux also checks that the owner's
// credentials at F_SETOWN time may signal the target (sigio_perm()); the
// sandbox skips that check.
void SendSigio(kernel::Kernel& k, const vfs::FileOwner& owner, int fd, int reason) {
  if (owner.pid <= 0) return;
  siginfo_t info;
  if (owner.signum == 0) {
    info = kernel::MakeSigInfo(SIGIO, SI_KERNEL);
  } else {
    info = kernel::MakeSigInfo(owner.signum, reason);
    info.si_band = Band(reason);
    info.si_fd = fd;
  }
  switch (owner.type) {
    case F_OWNER_TID:
      if (kernel::Task* task = k.TaskByTid(owner.pid)) kernel::SendThreadSignal(*task, info);
      return;
    case F_OWNER_PID:
      if (auto tg = k.ThreadGroupByPid(owner.pid); tg && !tg->zombie)
        kernel::SendGroupSignal(*tg, info);
      return;
    default: {
      std::vector<std::shared_ptr<kernel::ThreadGroup>> targets;
      for (const auto& [id, tg] : k.thread_groups())
        if (tg->pgid == owner.pid && !tg->zombie) targets.push_back(tg);
      for (auto& tg : targets) kernel::SendGroupSignal(*tg, info);
      return;
    }
  }
}

// fasync: the waiter lives in the file and is unlinked before the file
// goes (~FileDescription), so the raw pointers stay valid while linked.
void UpdateAsync(Task& t, vfs::FileDescription& f, int fd) {
  kernel::WaitQueue* q = f.Queue();
  if (!(f.flags() & O_ASYNC) || q == nullptr) {
    f.async_waiter.reset();
    return;
  }
  uint32_t in = f.Readable() ? (POLLIN | POLLRDNORM) : 0;
  uint32_t out = f.Writable() ? (POLLOUT | POLLWRNORM) : 0;
  if (in == 0 && out == 0) return;
  kernel::Kernel* k = &t.kernel();
  vfs::FileDescription* file = &f;
  f.async_waiter = std::make_unique<kernel::WaitQueue::Entry>([k, file, fd, in](uint32_t ev) {
    SendSigio(*k, file->owner, fd, (ev & in) ? POLL_IN : POLL_OUT);
  });
  q->AddEntry(f.async_waiter.get(), in | out);
}

}  // namespace bulwark::syscalls

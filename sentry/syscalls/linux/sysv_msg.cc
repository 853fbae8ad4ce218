// System V message queues: msgget(2), msgsnd(2), msgrcv(2), msgctl(2).
#include <linux/capability.h>
#include <sys/msg.h>

#include <deque>
#include <string>

#include "sentry/kernel/wait_queue.h"
#include "sentry/syscalls/linux/sys_sysv.h"
#include "sentry/syscalls/linux/sysv_ipc.h"

namespace bulwark::syscalls {

namespace {

constexpr size_t kMsgMax = 8192;    // MSGMAX: largest message
constexpr size_t kMsgMnb = 16384;   // MSGMNB: default queue bytes
constexpr size_t kMsgMni = 32000;   // MSGMNI

struct Message {
  long type;
  std::string text;
};

struct Queue {
  sysv::Perm perm;
  int index = 0;
  std::deque<Message> messages;
  size_t bytes = 0;
  size_t qbytes = kMsgMnb;
  int64_t stime = 0, rtime = 0;
  pid_t lspid = 0, lrpid = 0;
  bool removed = false;
  kernel::WaitQueue queue;  // notified on every send, receive and removal
};

sysv::Table<Queue>& Queues(Task& t) { return sysv::TableOf<Queue>(t, 2); }

// Waits for a change of `q`: EIDRM if it is removed meanwhile, EINTR after
// a signal (msgsnd/msgrcv are not restarted after a handler).
SysResult<void> WaitChange(Task& t, Queue& q) {
  q.queue.Add(&t);
  auto r = t.Block(nullptr);
  q.queue.Remove(&t);
  if (q.removed) return Err(FromInt(EIDRM));
  if (!r) return Err(r.error() == Errno::kERESTARTSYS ? Errno::kEINTR : r.error());
  return {};
}

// The index of the message msgrcv takes for `type` and `flags`, or -1.
long Pick(const Queue& q, long type, int flags) {
  long best = -1;
  for (size_t i = 0; i < q.messages.size(); ++i) {
    long mt = q.messages[i].type;
    if (type == 0) return static_cast<long>(i);
    if (type > 0) {
      bool match = (flags & MSG_EXCEPT) ? mt != type : mt == type;
      if (match) return static_cast<long>(i);
    } else if (mt <= -type && (best < 0 || mt < q.messages[best].type)) {
      best = static_cast<long>(i);
    }
  }
  return best;
}

}  // namespace

SysResult<int> sys_msgget(Task& t, int key, int flags) {
  auto create = [&]() -> SysResult<int> {
    auto q = std::make_shared<Queue>();
    q->perm = sysv::NewPerm(t.creds(), key, flags);
    return Queues(t).Add(std::move(q), kMsgMni);
  };
  auto check = [](const Queue&) -> SysResult<void> { return {}; };
  return sysv::Get(Queues(t), t.creds(), key, flags, create, check);
}

SysResult<void> sys_msgsnd(Task& t, int id, uint64_t msgp, size_t size, int flags) {
  if (size > kMsgMax || static_cast<ssize_t>(size) < 0) return Err(Errno::kEINVAL);
  long type;
  TRY(t.CopyInBytes(msgp, &type, sizeof type));
  if (type < 1) return Err(Errno::kEINVAL);
  std::string text(size, '\0');
  if (size) TRY(t.CopyInBytes(msgp + sizeof(long), text.data(), size));
  std::shared_ptr<Queue> q = TRY(Queues(t).Get(id));
  TRY(sysv::CheckAccess(t.creds(), q->perm, 0200));
  while (q->bytes + size > q->qbytes || q->messages.size() + 1 > q->qbytes) {
    if (flags & IPC_NOWAIT) return Err(Errno::kEAGAIN);
    TRY(WaitChange(t, *q));
  }
  q->bytes += size;
  q->messages.push_back(Message{type, std::move(text)});
  q->stime = sysv::NowSeconds();
  q->lspid = t.tgid();
  q->queue.Notify();
  return {};
}

SysResult<size_t> sys_msgrcv(Task& t, int id, uint64_t msgp, size_t size, int64_t type,
                             int flags) {
  if (static_cast<ssize_t>(size) < 0) return Err(Errno::kEINVAL);
  // MSG_COPY needs CONFIG_CHECKPOINT_RESTORE; not provided.
  if (flags & MSG_COPY) return Err(Errno::kENOSYS);
  std::shared_ptr<Queue> q = TRY(Queues(t).Get(id));
  TRY(sysv::CheckAccess(t.creds(), q->perm, 0400));
  for (;;) {
    long i = Pick(*q, static_cast<long>(type), flags);
    if (i >= 0) {
      Message& m = q->messages[i];
      if (m.text.size() > size && !(flags & MSG_NOERROR)) return Err(Errno::kE2BIG);
      size_t n = std::min(size, m.text.size());
      TRY(t.CopyOutBytes(msgp, &m.type, sizeof m.type));
      if (n) TRY(t.CopyOutBytes(msgp + sizeof(long), m.text.data(), n));
      q->bytes -= m.text.size();
      q->messages.erase(q->messages.begin() + i);
      q->rtime = sysv::NowSeconds();
      q->lrpid = t.tgid();
      q->queue.Notify();
      return n;
    }
    if (flags & IPC_NOWAIT) return Err(Errno::kENOMSG);
    TRY(WaitChange(t, *q));
  }
}

SysResult<int> sys_msgctl(Task& t, int id, int cmd, uint64_t ubuf) {
  cmd &= ~sysv::kIpc64;
  if (cmd == IPC_INFO || cmd == MSG_INFO) {
    msginfo info{};
    info.msgmax = kMsgMax;
    info.msgmnb = kMsgMnb;
    info.msgmni = kMsgMni;
    info.msgssz = 16;
    info.msgseg = 0xffff;
    info.msgpool = kMsgMni * kMsgMnb / 1024;
    info.msgmap = info.msgtql = kMsgMnb;
    if (cmd == MSG_INFO) {
      info.msgpool = static_cast<int>(Queues(t).all().size());
      int msgs = 0, bytes = 0;
      for (const auto& [i, q] : Queues(t).all()) {
        msgs += static_cast<int>(q->messages.size());
        bytes += static_cast<int>(q->bytes);
      }
      info.msgmap = msgs;
      info.msgtql = bytes;
    }
    TRY(t.CopyOutBytes(ubuf, &info, sizeof info));
    return Queues(t).all().empty() ? 0 : Queues(t).all().rbegin()->second->index;
  }
  std::shared_ptr<Queue> q;
  int ret = 0;
  if (cmd == MSG_STAT || cmd == MSG_STAT_ANY) {
    for (const auto& [i, queue] : Queues(t).all())
      if (queue->index == id) {
        q = queue;
        ret = i;
      }
    if (!q) return Err(Errno::kEINVAL);
  } else {
    q = TRY(Queues(t).Get(id));
  }
  switch (cmd) {
    case IPC_STAT:
    case MSG_STAT:
    case MSG_STAT_ANY: {
      if (cmd != MSG_STAT_ANY) TRY(sysv::CheckAccess(t.creds(), q->perm, 0400));
      msqid_ds ds{};
      q->perm.FillIpcPerm(&ds.msg_perm);
      ds.msg_stime = q->stime;
      ds.msg_rtime = q->rtime;
      ds.msg_ctime = q->perm.ctime;
      ds.__msg_cbytes = q->bytes;
      ds.msg_qnum = q->messages.size();
      ds.msg_qbytes = q->qbytes;
      ds.msg_lspid = q->lspid;
      ds.msg_lrpid = q->lrpid;
      TRY(t.CopyOutBytes(ubuf, &ds, sizeof ds));
      return ret;
    }
    case IPC_SET: {
      msqid_ds ds;
      TRY(t.CopyInBytes(ubuf, &ds, sizeof ds));
      TRY(sysv::CheckOwner(t.creds(), q->perm));
      // Raising the limit above MSGMNB needs CAP_SYS_RESOURCE.
      if (ds.msg_qbytes > kMsgMnb && !t.creds().HasCap(CAP_SYS_RESOURCE))
        return Err(Errno::kEPERM);
      q->qbytes = ds.msg_qbytes;
      sysv::SetPerm(q->perm, ds.msg_perm);
      q->queue.Notify();
      return 0;
    }
    case IPC_RMID:
      TRY(sysv::CheckOwner(t.creds(), q->perm));
      q->removed = true;
      Queues(t).Remove(id);
      q->queue.Notify();
      return 0;
    default:
      return Err(Errno::kEINVAL);
  }
}

}  // namespace bulwark::syscalls

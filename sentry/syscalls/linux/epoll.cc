#include <fcntl.h>

#include <climits>
#include <optional>

#include "sentry/fsimpl/epoll/epoll.h"
#include "sentry/kernel/timers.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_epoll.h"
#include "sentry/syscalls/linux/wait_util.h"

namespace bulwark::syscalls {

namespace {

using fsimpl::EpollFile;

// EP_MAX_EVENTS.
constexpr int kMaxEvents = INT_MAX / static_cast<int>(sizeof(epoll_event));
// EP_MAX_NESTS: how deep epolls may watch epolls.
constexpr int kMaxNests = 4;
// EPOLLEXCLUSIVE_OK_BITS.
constexpr uint32_t kExclusiveOk = EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM |
                                  EPOLLWRBAND | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET |
                                  EPOLLEXCLUSIVE;

SysResult<int> Create(Task& t, int flags) {
  TRY(CheckFdAvailable(t));
  return t.fds().Install(std::make_shared<EpollFile>(0), (flags & EPOLL_CLOEXEC) != 0,
                         FdLimit(t));
}

// ep_loop_check(): true if `from` reaches `target` through watched epolls,
// or the chain below `from` is deeper than `depth` allows.
bool Loops(EpollFile* from, EpollFile* target, int depth) {
  if (from == target) return true;
  if (depth > kMaxNests) return true;
  for (EpollFile* ep : from->WatchedEpolls())
    if (Loops(ep, target, depth + 1)) return true;
  return false;
}

// When to stop waiting: no deadline = forever; `zero` polls once.
struct Deadline {
  std::optional<timespec> at;
  bool zero = false;
};

Deadline After(int64_t ns) {
  Deadline d;
  d.zero = ns == 0;
  d.at = kernel::ToTimespec(kernel::MonotonicNowNs() + ns);
  return d;
}

// ep_poll(): a signal ends the wait with EINTR; epoll_wait is never
// restarted (epoll_wait(2), signal(7)).
SysResult<int> Wait(Task& t, int epfd, UserPtr<epoll_event> uevents, int maxevents,
                    const Deadline& dl) {
  if (maxevents <= 0 || maxevents > kMaxEvents) return Err(Errno::kEINVAL);
  auto file = TRY(GetFile(t, epfd));
  auto* ep = dynamic_cast<EpollFile*>(file.get());
  if (ep == nullptr) return Err(Errno::kEINVAL);
  bool timed_out = false;
  for (;;) {
    std::vector<epoll_event> ready = ep->Harvest(static_cast<size_t>(maxevents));
    if (!ready.empty()) {
      TRY(t.CopyOutBytes(uevents.addr, ready.data(), ready.size() * sizeof(epoll_event)));
      return static_cast<int>(ready.size());
    }
    if (dl.zero || timed_out) return 0;
    ep->Queue()->Add(&t);
    auto r = t.Block(dl.at ? &*dl.at : nullptr);
    ep->Queue()->Remove(&t);
    if (!r) {
      if (r.error() == Errno::kETIMEDOUT) {
        timed_out = true;
      } else {
        return Err(Errno::kEINTR);
      }
    }
  }
}

Deadline FromMs(int timeout_ms) {
  if (timeout_ms < 0) return Deadline{};
  return After(int64_t{timeout_ms} * 1000000);
}

}  // namespace

SysResult<int> sys_epoll_create(Task& t, int size) {
  if (size <= 0) return Err(Errno::kEINVAL);
  return Create(t, 0);
}

SysResult<int> sys_epoll_create1(Task& t, int flags) {
  if (flags & ~EPOLL_CLOEXEC) return Err(Errno::kEINVAL);
  return Create(t, flags);
}

// do_epoll_ctl(), in its order of checks.
SysResult<void> sys_epoll_ctl(Task& t, int epfd, int op, int fd, UserPtr<epoll_event> uevent) {
  epoll_event ev{};
  if (op != EPOLL_CTL_DEL) ev = TRY(t.CopyIn(uevent));
  auto file = TRY(GetFile(t, epfd));
  auto target = TRY(GetFile(t, fd));
  if (target->Queue() == nullptr) return Err(Errno::kEPERM);
  auto* ep = dynamic_cast<EpollFile*>(file.get());
  if (file == target || ep == nullptr) return Err(Errno::kEINVAL);
  auto* target_ep = dynamic_cast<EpollFile*>(target.get());
  if (op != EPOLL_CTL_DEL && (ev.events & EPOLLEXCLUSIVE)) {
    if (op == EPOLL_CTL_MOD) return Err(Errno::kEINVAL);
    if (op == EPOLL_CTL_ADD && (target_ep != nullptr || (ev.events & ~kExclusiveOk)))
      return Err(Errno::kEINVAL);
  }
  if (op == EPOLL_CTL_ADD && target_ep != nullptr && Loops(target_ep, ep, 1))
    return Err(Errno::kELOOP);
  return ep->Ctl(op, fd, target, ev);
}

SysResult<int> sys_epoll_wait(Task& t, int epfd, UserPtr<epoll_event> events, int maxevents,
                              int timeout_ms) {
  return Wait(t, epfd, events, maxevents, FromMs(timeout_ms));
}

SysResult<int> sys_epoll_pwait(Task& t, int epfd, UserPtr<epoll_event> events, int maxevents,
                               int timeout_ms, UserPtr<kernel::SigSet> sigmask,
                               size_t sigsetsize) {
  TRY(SwapSigmask(t, sigmask, sigsetsize));
  return RestoreSigmask(t, !sigmask.null(), Wait(t, epfd, events, maxevents, FromMs(timeout_ms)),
                        Errno::kEINTR);
}

SysResult<int> sys_epoll_pwait2(Task& t, int epfd, UserPtr<epoll_event> events, int maxevents,
                                UserPtr<timespec> timeout, UserPtr<kernel::SigSet> sigmask,
                                size_t sigsetsize) {
  Deadline dl;
  if (!timeout.null()) {
    timespec ts = TRY(t.CopyIn(timeout));
    if (!ValidTimespec(ts)) return Err(Errno::kEINVAL);
    dl = After(kernel::ToNs(ts));
  }
  TRY(SwapSigmask(t, sigmask, sigsetsize));
  return RestoreSigmask(t, !sigmask.null(), Wait(t, epfd, events, maxevents, dl), Errno::kEINTR);
}

}  // namespace bulwark::syscalls

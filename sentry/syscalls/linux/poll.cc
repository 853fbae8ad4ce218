#include <fcntl.h>

#include <optional>
#include <vector>

#include "sentry/kernel/wait_queue.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_poll.h"
#include "sentry/syscalls/linux/wait_util.h"

namespace bulwark::syscalls {

namespace {

// fs/select.c's sets of poll events that make an fd readable, writable or
// exceptional for select.
constexpr uint32_t kInSet = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
constexpr uint32_t kOutSet = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
constexpr uint32_t kExSet = POLLPRI;

timespec MonotonicNow() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts;
}

timespec Add(timespec a, const timespec& b) {
  a.tv_sec += b.tv_sec;
  a.tv_nsec += b.tv_nsec;
  if (a.tv_nsec >= 1000000000) {
    a.tv_nsec -= 1000000000;
    ++a.tv_sec;
  }
  return a;
}

// What is left until `deadline`, never negative.
timespec Remaining(const timespec& deadline) {
  timespec now = MonotonicNow();
  timespec r{deadline.tv_sec - now.tv_sec, deadline.tv_nsec - now.tv_nsec};
  if (r.tv_nsec < 0) {
    r.tv_nsec += 1000000000;
    --r.tv_sec;
  }
  if (r.tv_sec < 0) r = timespec{0, 0};
  return r;
}

// When to stop waiting: nullopt for never; a zero timeout polls once.
struct Timeout {
  std::optional<timespec> deadline;
  bool zero = false;
};

Timeout FromTimespec(const timespec& ts) {
  Timeout to;
  to.zero = ts.tv_sec == 0 && ts.tv_nsec == 0;
  to.deadline = Add(MonotonicNow(), ts);
  return to;
}

// One fd of interest: its file (null if bad), the events asked and those
// found.
struct Watch {
  std::shared_ptr<vfs::FileDescription> file;
  uint32_t events = 0;
  uint32_t revents = 0;
};

// Scans `watches` until one is ready, the timeout passes or a signal
// arrives (ERESTARTNOHAND). Returns how many are ready; `bad` marks
// entries whose file is missing (POLLNVAL) and counts as ready.
SysResult<int> Wait(Task& t, std::vector<Watch>& watches, const Timeout& to,
                    uint32_t nval_event) {
  bool timed_out = false;
  bool interrupted = false;
  for (;;) {
    int ready = 0;
    for (Watch& w : watches) {
      if (!w.file) {
        w.revents = nval_event;
      } else {
        w.revents = w.file->Readiness(w.events) & w.events;
      }
      if (w.revents) ++ready;
    }
    if (ready > 0 || to.zero || timed_out) return ready;
    if (interrupted) return Err(Errno::kERESTARTNOHAND);
    for (Watch& w : watches)
      if (w.file && w.file->Queue()) w.file->Queue()->Add(&t, w.events);
    auto r = t.Block(to.deadline ? &*to.deadline : nullptr);
    for (Watch& w : watches)
      if (w.file && w.file->Queue()) w.file->Queue()->Remove(&t);
    if (!r) {
      if (r.error() == Errno::kETIMEDOUT) {
        timed_out = true;
      } else if (r.error() == Errno::kERESTARTSYS) {
        interrupted = true;
      } else {
        return Err(r.error());
      }
    }
  }
}

SysResult<int> DoPoll(Task& t, UserPtr<pollfd> ufds, uint64_t nfds, const Timeout& to) {
  if (nfds > FdLimit(t)) return Err(Errno::kEINVAL);
  std::vector<pollfd> fds(nfds);
  if (nfds > 0) TRY(t.CopyInBytes(ufds.addr, fds.data(), nfds * sizeof(pollfd)));
  std::vector<Watch> watches;
  std::vector<size_t> index;  // watches[i] is fds[index[i]]
  for (size_t i = 0; i < fds.size(); ++i) {
    fds[i].revents = 0;
    if (fds[i].fd < 0) continue;
    Watch w;
    // O_PATH descriptors are POLLNVAL like closed ones (fdget()).
    if (auto f = GetFile(t, fds[i].fd)) w.file = std::move(*f);
    w.events = static_cast<uint16_t>(fds[i].events) | POLLERR | POLLHUP;
    watches.push_back(std::move(w));
    index.push_back(i);
  }
  auto r = Wait(t, watches, to, POLLNVAL);
  for (size_t i = 0; i < watches.size(); ++i)
    fds[index[i]].revents = static_cast<int16_t>(watches[i].revents);
  if (nfds > 0) TRY(t.CopyOutBytes(ufds.addr, fds.data(), nfds * sizeof(pollfd)));
  return r;
}

// Writes back the time left, as poll_select_finish() does for every
// non-zero timeout.
template <typename T>
void WriteBack(Task& t, UserPtr<T> user, const Timeout& to) {
  if (user.null() || to.zero || !to.deadline) return;
  timespec left = Remaining(*to.deadline);
  if constexpr (std::is_same_v<T, timeval>) {
    (void)t.CopyOut(user, timeval{left.tv_sec, left.tv_nsec / 1000});
  } else {
    (void)t.CopyOut(user, left);
  }
}

// core_sys_select(): fd_sets of `n` bits.
SysResult<int> DoSelect(Task& t, int n, UserPtr<fd_set> in, UserPtr<fd_set> out,
                        UserPtr<fd_set> ex, const Timeout& to) {
  if (n < 0) return Err(Errno::kEINVAL);
  // Linux caps n at the size of the fd table, which grows in powers of
  // two from 64; bits beyond it are neither read nor written.
  int max_fds = 64;
  if (!t.fds().entries().empty())
    while (max_fds <= t.fds().entries().rbegin()->first) max_fds *= 2;
  n = std::min(n, max_fds);
  size_t words = (static_cast<size_t>(n) + 63) / 64;
  std::vector<uint64_t> sets[3];
  UserPtr<fd_set> user[3] = {in, out, ex};
  for (int s = 0; s < 3; ++s) {
    sets[s].assign(words, 0);
    if (!user[s].null() && words > 0)
      TRY(t.CopyInBytes(user[s].addr, sets[s].data(), words * 8));
  }
  std::vector<Watch> watches;
  std::vector<int> fd_of;
  for (int fd = 0; fd < n; ++fd) {
    uint64_t bit = uint64_t{1} << (fd % 64);
    size_t w = static_cast<size_t>(fd) / 64;
    bool want_in = sets[0][w] & bit, want_out = sets[1][w] & bit, want_ex = sets[2][w] & bit;
    if (!want_in && !want_out && !want_ex) continue;
    Watch watch;
    auto f = t.fds().Get(fd);
    if (!f) return Err(Errno::kEBADF);
    // O_PATH descriptors are open but never ready.
    if (!((*f)->flags() & O_PATH)) watch.file = std::move(*f);
    watch.events = (want_in ? kInSet : 0) | (want_out ? kOutSet : 0) | (want_ex ? kExSet : 0);
    watches.push_back(std::move(watch));
    fd_of.push_back(fd);
  }
  int ready = TRY(Wait(t, watches, to, 0));
  (void)ready;
  for (auto& s : sets) std::fill(s.begin(), s.end(), 0);
  int count = 0;
  for (size_t i = 0; i < watches.size(); ++i) {
    int fd = fd_of[i];
    uint64_t bit = uint64_t{1} << (fd % 64);
    size_t w = static_cast<size_t>(fd) / 64;
    uint32_t ev = watches[i].revents;
    const uint32_t kSets[3] = {kInSet, kOutSet, kExSet};
    for (int s = 0; s < 3; ++s) {
      if ((ev & kSets[s]) && (watches[i].events & kSets[s])) {
        sets[s][w] |= bit;
        ++count;
      }
    }
  }
  for (int s = 0; s < 3; ++s)
    if (!user[s].null() && words > 0)
      TRY(t.CopyOutBytes(user[s].addr, sets[s].data(), words * 8));
  return count;
}

}  // namespace

// The restart after an interruption uses the whole timeout again, not the
// time left (Linux restarts poll through restart_syscall with the
// remaining time).
SysResult<int> sys_poll(Task& t, UserPtr<pollfd> fds, uint64_t nfds, int timeout_ms) {
  Timeout to;
  if (timeout_ms >= 0) {
    to = FromTimespec(timespec{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L});
  }
  return DoPoll(t, fds, nfds, to);
}

SysResult<int> sys_ppoll(Task& t, UserPtr<pollfd> fds, uint64_t nfds, UserPtr<timespec> tsp,
                         UserPtr<kernel::SigSet> sigmask, size_t sigsetsize) {
  Timeout to;
  if (!tsp.null()) {
    timespec ts = TRY(t.CopyIn(tsp));
    if (!ValidTimespec(ts)) return Err(Errno::kEINVAL);
    to = FromTimespec(ts);
  }
  TRY(SwapSigmask(t, sigmask, sigsetsize));
  auto r = RestoreSigmask(t, !sigmask.null(), DoPoll(t, fds, nfds, to), Errno::kERESTARTNOHAND);
  WriteBack(t, tsp, to);
  return r;
}

SysResult<int> sys_select(Task& t, int nfds, UserPtr<fd_set> readfds, UserPtr<fd_set> writefds,
                          UserPtr<fd_set> exceptfds, UserPtr<timeval> timeout) {
  Timeout to;
  if (!timeout.null()) {
    timeval tv = TRY(t.CopyIn(timeout));
    // Whole seconds in tv_usec are carried over, as Linux does.
    timespec ts{tv.tv_sec + tv.tv_usec / 1000000, (tv.tv_usec % 1000000) * 1000};
    if (!ValidTimespec(ts)) return Err(Errno::kEINVAL);
    to = FromTimespec(ts);
  }
  auto r = DoSelect(t, nfds, readfds, writefds, exceptfds, to);
  WriteBack(t, timeout, to);
  return r;
}

SysResult<int> sys_pselect6(Task& t, int nfds, UserPtr<fd_set> readfds,
                            UserPtr<fd_set> writefds, UserPtr<fd_set> exceptfds,
                            UserPtr<timespec> timeout, UserPtr<uint64_t> sig) {
  Timeout to;
  if (!timeout.null()) {
    timespec ts = TRY(t.CopyIn(timeout));
    if (!ValidTimespec(ts)) return Err(Errno::kEINVAL);
    to = FromTimespec(ts);
  }
  UserPtr<kernel::SigSet> mask{0};
  size_t mask_size = 0;
  if (!sig.null()) {
    uint64_t data[2];
    TRY(t.CopyInBytes(sig.addr, data, sizeof(data)));
    mask = UserPtr<kernel::SigSet>{data[0]};
    mask_size = data[1];
  }
  TRY(SwapSigmask(t, mask, mask_size));
  auto r = RestoreSigmask(t, !mask.null(), DoSelect(t, nfds, readfds, writefds, exceptfds, to),
                          Errno::kERESTARTNOHAND);
  WriteBack(t, timeout, to);
  return r;
}

}  // namespace bulwark::syscalls

// Notifier: wakes tasks waiting on host fds (the container's stdio).
//
// One thread per sentry waits in epoll (edge-triggered) on every registered
// host fd and, with the kernel lock held, notifies the fd's WaitQueue.
// Waiters then re-check readiness with a zero-timeout poll.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "base/result.h"
#include "base/unique_fd.h"
#include "sentry/kernel/wait_queue.h"

namespace bulwark::fsimpl::host {

// The events of `events` (plus POLLHUP/POLLERR) that host fd `fd` has now:
// a zero-timeout poll, the waiters' re-check.
uint32_t PollNow(int fd, uint32_t events);

class Notifier {
 public:
  // `kernel_mu` is the kernel lock (Kernel::mu), taken by the notifier
  // thread around each batch of notifications.
  static SysResult<std::shared_ptr<Notifier>> Start(std::mutex& kernel_mu);
  // Stops the thread. Precondition: the kernel lock is not held by the
  // caller.
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Watches `fd` for `queue`; returns the registration's id, or 0 when
  // epoll cannot watch it (regular files, which are always ready).
  // Precondition: kernel lock held; `queue` outlives the registration.
  SysResult<uint64_t> Register(int fd, kernel::WaitQueue* queue);
  // Precondition: kernel lock held; `fd` is still open.
  void Unregister(int fd, uint64_t id);

 private:
  explicit Notifier(std::mutex& kernel_mu) : kernel_mu_(kernel_mu) {}
  void Loop();

  std::mutex& kernel_mu_;
  UniqueFd epoll_;
  UniqueFd stop_;  // eventfd that ends Loop()
  // Guarded by the kernel lock.
  std::map<uint64_t, kernel::WaitQueue*> queues_;  // by registration id
  uint64_t next_id_ = 1;
  std::thread thread_;
};

}  // namespace bulwark::fsimpl::host

#include "sentry/fsimpl/host/notifier.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

namespace bulwark::fsimpl::host {

namespace {

constexpr uint64_t kStopId = 0;

uint32_t PollEvents(uint32_t epoll_events) {
  uint32_t ev = 0;
  if (epoll_events & EPOLLIN) ev |= POLLIN | POLLRDNORM;
  if (epoll_events & EPOLLOUT) ev |= POLLOUT | POLLWRNORM;
  if (epoll_events & EPOLLRDHUP) ev |= POLLRDHUP;
  if (epoll_events & EPOLLHUP) ev |= POLLHUP;
  if (epoll_events & EPOLLERR) ev |= POLLERR;
  if (epoll_events & EPOLLPRI) ev |= POLLPRI;
  return ev;
}

}  // namespace

uint32_t PollNow(int fd, uint32_t events) {
  pollfd p{fd, static_cast<short>(events), 0};
  int r;
  do r = poll(&p, 1, 0);
  while (r < 0 && errno == EINTR);
  return r > 0 ? static_cast<uint16_t>(p.revents) : 0;
}

SysResult<std::shared_ptr<Notifier>> Notifier::Start(std::mutex& kernel_mu) {
  std::shared_ptr<Notifier> n(new Notifier(kernel_mu));
  n->epoll_ = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  if (!n->epoll_) return Err(HostErrno());
  n->stop_ = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!n->stop_) return Err(HostErrno());
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kStopId;
  if (epoll_ctl(n->epoll_.get(), EPOLL_CTL_ADD, n->stop_.get(), &ev) < 0) return Err(HostErrno());
  n->thread_ = std::thread([raw = n.get()] { raw->Loop(); });
  return n;
}

Notifier::~Notifier() {
  uint64_t one = 1;
  if (write(stop_.get(), &one, sizeof(one)) < 0) {
    // The eventfd counter cannot overflow from one write; nothing to do.
  }
  if (thread_.joinable()) thread_.join();
}

SysResult<uint64_t> Notifier::Register(int fd, kernel::WaitQueue* queue) {
  uint64_t id = next_id_++;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET;
  ev.data.u64 = id;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) {
    if (errno == EPERM) return 0;
    return Err(HostErrno());
  }
  queues_[id] = queue;
  return id;
}

void Notifier::Unregister(int fd, uint64_t id) {
  if (queues_.erase(id)) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void Notifier::Loop() {
  epoll_event events[64];
  for (;;) {
    int n = epoll_wait(epoll_.get(), events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    std::lock_guard lock(kernel_mu_);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == kStopId) return;
      // The fd may have been unregistered since epoll_wait returned.
      auto it = queues_.find(events[i].data.u64);
      if (it != queues_.end()) it->second->Notify(PollEvents(events[i].events));
    }
  }
}

}  // namespace bulwark::fsimpl::host

#include "sentry/fsimpl/epoll/epoll.h"

#include <fcntl.h>
#include <poll.h>

#include <algorithm>

namespace bulwark::fsimpl {

namespace {

// Flags that are not poll events (EP_PRIVATE_BITS and EPOLLET).
constexpr uint32_t kPrivateBits = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE;

}  // namespace

EpollFile::EpollFile(int flags) : vfs::FileDescription(vfs::Path{}, O_RDWR | flags) {}

EpollFile::~EpollFile() = default;

EpollFile::Interest* EpollFile::Find(const Key& key) {
  auto it = interests_.find(key);
  if (it == interests_.end()) return nullptr;
  if (it->second->file.expired()) {
    Drop(it->second.get());
    return nullptr;
  }
  return it->second.get();
}

void EpollFile::Drop(Interest* in) {
  if (in->ready) std::erase(ready_, in);
  interests_.erase(Key{in->fd, in->key});  // destroys the entry: unlinked
}

void EpollFile::MarkReady(Interest* in) {
  if (in->ready) return;
  in->ready = true;
  ready_.push_back(in);
  queue_.Notify(POLLIN | POLLRDNORM);
}

// ep_poll_callback(): a disabled (one-shot fired) interest ignores
// wake-ups, as do wake-ups for events nobody asked for; a wake-up
// without events (0) may concern anything.
void EpollFile::Callback(Interest* in, uint32_t events) {
  if (in->file.expired()) {
    Drop(in);
    return;
  }
  uint32_t wanted = in->events & ~kPrivateBits;
  if (wanted == 0) return;
  if (events != 0 && !(events & wanted)) return;
  MarkReady(in);
}

SysResult<void> EpollFile::Ctl(int op, int fd, const std::shared_ptr<vfs::FileDescription>& file,
                               const epoll_event& ev) {
  Key key{fd, file.get()};
  Interest* in = Find(key);
  uint32_t events = ev.events & ~EPOLLWAKEUP;  // without CAP_BLOCK_SUSPEND
  switch (op) {
    case EPOLL_CTL_ADD: {
      if (in != nullptr) return Err(Errno::kEEXIST);
      auto owned = std::make_unique<Interest>();
      in = owned.get();
      in->ep = this;
      in->fd = fd;
      in->key = file.get();
      in->file = file;
      in->events = events | EPOLLERR | EPOLLHUP;
      in->data = ev.data.u64;
      in->entry.set_callback([in](uint32_t e) { in->ep->Callback(in, e); });
      interests_.emplace(key, std::move(owned));
      if (kernel::WaitQueue* q = file->Queue()) q->AddEntry(&in->entry);
      break;
    }
    case EPOLL_CTL_DEL:
      if (in == nullptr) return Err(Errno::kENOENT);
      Drop(in);
      return {};
    case EPOLL_CTL_MOD:
      if (in == nullptr) return Err(Errno::kENOENT);
      if (in->events & EPOLLEXCLUSIVE) return Err(Errno::kEINVAL);
      in->events = events | EPOLLERR | EPOLLHUP;
      in->data = ev.data.u64;
      break;
    default:
      return Err(Errno::kEINVAL);
  }
  // ep_insert()/ep_modify(): an interest that is ready now is listed now.
  uint32_t wanted = in->events & ~kPrivateBits;
  if (file->Readiness(wanted) & wanted) MarkReady(in);
  return {};
}

std::vector<epoll_event> EpollFile::Harvest(size_t max) {
  std::vector<epoll_event> out;
  std::deque<Interest*> relist;
  while (!ready_.empty() && out.size() < max) {
    Interest* in = ready_.front();
    ready_.pop_front();
    in->ready = false;
    auto file = in->file.lock();
    if (!file) {
      Drop(in);
      continue;
    }
    uint32_t wanted = in->events & ~kPrivateBits;
    uint32_t revents = wanted ? file->Readiness(wanted) & wanted : 0;
    if (revents == 0) continue;
    epoll_event e{};
    e.events = revents;
    e.data.u64 = in->data;
    out.push_back(e);
    if (in->events & EPOLLONESHOT) {
      in->events &= kPrivateBits;
    } else if (!(in->events & EPOLLET)) {
      relist.push_back(in);  // level-triggered: polled again next time
    }
  }
  for (Interest* in : relist) {
    if (in->ready) continue;
    in->ready = true;
    ready_.push_back(in);
  }
  return out;
}

uint32_t EpollFile::Readiness(uint32_t mask) {
  for (size_t i = 0; i < ready_.size();) {
    Interest* in = ready_[i];
    auto file = in->file.lock();
    if (!file) {
      Drop(in);
      continue;
    }
    uint32_t wanted = in->events & ~kPrivateBits;
    if (wanted && (file->Readiness(wanted) & wanted)) return (POLLIN | POLLRDNORM) & mask;
    ++i;
  }
  return 0;
}

std::vector<EpollFile*> EpollFile::WatchedEpolls() {
  std::vector<EpollFile*> out;
  for (auto& [key, in] : interests_) {
    auto file = in->file.lock();
    if (auto* ep = dynamic_cast<EpollFile*>(file.get())) out.push_back(ep);
  }
  return out;
}

}  // namespace bulwark::fsimpl

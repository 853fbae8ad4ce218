// epoll(7): an interest list of (fd, file) pairs and a ready list fed by
// wait-queue callbacks.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "base/result.h"
#include "sentry/kernel/wait_queue.h"
#include "sentry/vfs/file.h"

namespace bulwark::fsimpl {

// Guarded by the kernel lock.
//
// Interests hold the watched file weakly: when its last reference goes
// (every fd to it closed), the interest is dropped the next time the epoll
// looks at it, which is what Linux's eventpoll_release() does at once; a
// dropped interest never reports. Files qualify when they have a Queue()
// (regular files and directories have none: EPERM).
class EpollFile : public vfs::FileDescription {
 public:
  explicit EpollFile(int flags);
  ~EpollFile() override;

  // epoll_ctl(2). `file` is the file at `fd`, already checked to be
  // pollable and not this epoll. `ev` is ignored for EPOLL_CTL_DEL.
  SysResult<void> Ctl(int op, int fd, const std::shared_ptr<vfs::FileDescription>& file,
                      const epoll_event& ev);

  // Reports up to `max` ready interests as ep_send_events() does: each
  // ready-listed interest is polled afresh; level-triggered ones stay
  // listed, edge-triggered ones wait for a new wake-up, one-shot ones are
  // disabled until EPOLL_CTL_MOD.
  std::vector<epoll_event> Harvest(size_t max);

  bool Seekable() const override { return false; }
  SysResult<uint64_t> Seek(kernel::Task& t, int64_t off, int whence) override {
    return Err(Errno::kESPIPE);
  }
  // POLLIN when some ready-listed interest is ready.
  uint32_t Readiness(uint32_t mask) override;
  kernel::WaitQueue* Queue() override { return &queue_; }
  std::string AnonName() const override { return "anon_inode:[eventpoll]"; }

  // For the loop check of nested epolls: the epolls this one watches.
  std::vector<EpollFile*> WatchedEpolls();
  size_t size() const { return interests_.size(); }

 private:
  struct Interest {
    EpollFile* ep;
    int fd;
    vfs::FileDescription* key;  // identity; may dangle once `file` expired
    std::weak_ptr<vfs::FileDescription> file;
    uint32_t events;  // requested events and flags (EPOLLET, ...)
    uint64_t data;
    bool ready = false;  // in ready_
    kernel::WaitQueue::Entry entry;
  };
  using Key = std::pair<int, vfs::FileDescription*>;

  void Callback(Interest* in, uint32_t events);
  void MarkReady(Interest* in);
  void Drop(Interest* in);
  // The interest for `key`, dropping it first if its file is gone.
  Interest* Find(const Key& key);

  std::map<Key, std::unique_ptr<Interest>> interests_;
  std::deque<Interest*> ready_;
  kernel::WaitQueue queue_;
};

}  // namespace bulwark::fsimpl

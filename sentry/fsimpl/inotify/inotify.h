// inotify(7): the file description behind inotify_init1(2), with its
// watches (marks on inodes, vfs/fsnotify.h) and its event queue.
#pragma once

#include <sys/inotify.h>

#include <deque>
#include <map>
#include <memory>
#include <string>

#include "sentry/kernel/wait_queue.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/fsnotify.h"

namespace bulwark::fsimpl {

// Guarded by the kernel lock.
class InotifyFile : public vfs::FileDescription {
 public:
  // /proc/sys/fs/inotify defaults: max_queued_events, max_user_instances;
  // max_user_watches is scaled to memory by Linux (8192 at least).
  static constexpr size_t kMaxQueuedEvents = 16384;
  static constexpr int kMaxUserInstances = 128;
  static constexpr int kMaxUserWatches = 8192;

  // The watch bits user space may pass (ALL_INOTIFY_BITS).
  static constexpr uint32_t kAllBits = IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED |
                                       IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK |
                                       IN_MASK_CREATE | IN_MASK_ADD | IN_ISDIR | IN_ONESHOT;

  // EMFILE when `uid` has kMaxUserInstances instances already.
  static SysResult<std::shared_ptr<InotifyFile>> Create(uint32_t uid, int flags);
  ~InotifyFile() override;

  // inotify_add_watch(2) on `inode`, which the caller resolved and may
  // read: the watch descriptor. EEXIST for IN_MASK_CREATE on a watched
  // inode, ENOSPC past kMaxUserWatches.
  SysResult<int> AddWatch(const std::shared_ptr<vfs::Inode>& inode, uint32_t mask);
  // inotify_rm_watch(2): EINVAL for an unknown wd. Queues IN_IGNORED.
  SysResult<void> RemoveWatch(int wd);

  bool Seekable() const override { return false; }
  SysResult<uint64_t> Seek(kernel::Task& t, int64_t off, int whence) override {
    return Err(Errno::kESPIPE);
  }
  // Whole events, as many as fit; EINVAL if the first does not; EAGAIN
  // when the queue is empty.
  SysResult<size_t> Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) override;
  // FIONREAD: bytes queued.
  SysResult<uint64_t> Ioctl(kernel::Task& t, uint32_t cmd, uint64_t arg) override;
  uint32_t Readiness(uint32_t mask) override;
  kernel::WaitQueue* Queue() override { return &queue_; }
  std::string AnonName() const override { return "anon_inode:inotify"; }

  size_t queued_events() const { return events_.size(); }

 private:
  class Watch;
  struct Event {
    int32_t wd;
    uint32_t mask, cookie;
    std::string name;
    size_t Size() const;  // bytes on read(2)
  };

  InotifyFile(uint32_t uid, int flags);
  // Queues an event, merging it with an identical last one and turning
  // it into IN_Q_OVERFLOW past kMaxQueuedEvents.
  void Enqueue(int32_t wd, uint32_t mask, uint32_t cookie, std::string_view name);
  // Ends a watch: queues IN_IGNORED and frees it.
  void DropWatch(int wd);

  uint32_t uid_;
  int next_wd_ = 1;
  std::map<int, std::unique_ptr<Watch>> watches_;
  std::map<const vfs::Inode*, int> wd_of_;
  std::deque<Event> events_;
  size_t queued_bytes_ = 0;
  kernel::WaitQueue queue_;
};

}  // namespace bulwark::fsimpl

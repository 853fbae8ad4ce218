#include "sentry/fsimpl/inotify/inotify.h"

#include <poll.h>
#include <sys/ioctl.h>

#include <cstring>

#include "sentry/fsimpl/eventfd/eventfd.h"
#include "sentry/kernel/task.h"

namespace bulwark::fsimpl {

namespace {

// The mask bits a watch keeps (INOTIFY_USER_MASK).
constexpr uint32_t kStoredBits = IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK;

// Per-user counts (Linux's ucounts for inotify instances and watches),
// keyed by the creator's effective uid. Guarded by the kernel lock;
// never destroyed, so descriptions released at exit may still use them.
struct UserCounts {
  int instances = 0;
  int watches = 0;
};
std::map<uint32_t, UserCounts>& Counts() {
  static auto* counts = new std::map<uint32_t, UserCounts>();
  return *counts;
}

}  // namespace

// One watch: a mark on a watched inode, which it keeps alive (as Linux's
// inotify marks pin their inode).
class InotifyFile::Watch : public vfs::NotifyMark {
 public:
  Watch(InotifyFile* owner, int wd, std::shared_ptr<vfs::Inode> inode, uint32_t mask)
      : owner_(owner), wd_(wd), inode_ref_(std::move(inode)), mask_(mask) {
    Attach(*inode_ref_);
    ++Counts()[owner_->uid_].watches;
  }
  ~Watch() override {
    Detach();
    --Counts()[owner_->uid_].watches;
  }

  uint32_t mask() const { return mask_; }
  void set_mask(uint32_t m) { mask_ = m; }
  const vfs::Inode* target() const { return inode_ref_.get(); }

  uint32_t Interest() const override { return mask_ & IN_ALL_EVENTS; }

  // inotify_handle_inode_event(): the event keeps all its bits, not only
  // those the watch asked for.
  void Handle(uint32_t mask, uint32_t cookie, std::string_view name, bool unlinked) override {
    if ((mask_ & IN_EXCL_UNLINK) && unlinked) return;
    owner_->Enqueue(wd_, mask, cookie, name);
    if (mask_ & IN_ONESHOT) owner_->DropWatch(wd_);  // destroys this
  }

  void InodeGone() override { owner_->DropWatch(wd_); }  // destroys this

 private:
  InotifyFile* owner_;
  int wd_;
  std::shared_ptr<vfs::Inode> inode_ref_;
  uint32_t mask_;
};

size_t InotifyFile::Event::Size() const {
  constexpr size_t kHeader = sizeof(struct inotify_event);
  if (name.empty()) return kHeader;
  // The name is NUL-padded to a multiple of the header size
  // (round_event_name_len()).
  return kHeader + (name.size() + 1 + kHeader - 1) / kHeader * kHeader;
}

SysResult<std::shared_ptr<InotifyFile>> InotifyFile::Create(uint32_t uid, int flags) {
  if (Counts()[uid].instances >= kMaxUserInstances) return Err(Errno::kEMFILE);
  return std::shared_ptr<InotifyFile>(new InotifyFile(uid, flags));
}

InotifyFile::InotifyFile(uint32_t uid, int flags)
    : vfs::FileDescription(vfs::Path{}, O_RDONLY | flags), uid_(uid) {
  ++Counts()[uid_].instances;
}

// Watches go silently with the instance: there is nobody to read their
// IN_IGNORED.
InotifyFile::~InotifyFile() {
  watches_.clear();
  --Counts()[uid_].instances;
}

SysResult<int> InotifyFile::AddWatch(const std::shared_ptr<vfs::Inode>& inode, uint32_t mask) {
  uint32_t stored = mask & kStoredBits;
  if (auto it = wd_of_.find(inode.get()); it != wd_of_.end()) {
    // inotify_update_existing_watch()
    if (mask & IN_MASK_CREATE) return Err(Errno::kEEXIST);
    Watch& w = *watches_.at(it->second);
    w.set_mask((mask & IN_MASK_ADD) ? (w.mask() | stored) : stored);
    return it->second;
  }
  if (Counts()[uid_].watches >= kMaxUserWatches) return Err(Errno::kENOSPC);
  // Descriptors are handed out cyclically from 1 (idr_alloc_cyclic()),
  // so a removed one is not reused soon.
  int wd = next_wd_;
  while (watches_.contains(wd)) wd = wd == INT32_MAX ? 1 : wd + 1;
  next_wd_ = wd == INT32_MAX ? 1 : wd + 1;
  watches_.emplace(wd, std::make_unique<Watch>(this, wd, inode, stored));
  wd_of_.emplace(inode.get(), wd);
  return wd;
}

SysResult<void> InotifyFile::RemoveWatch(int wd) {
  if (!watches_.contains(wd)) return Err(Errno::kEINVAL);
  DropWatch(wd);
  return {};
}

void InotifyFile::DropWatch(int wd) {
  auto it = watches_.find(wd);
  if (it == watches_.end()) return;
  wd_of_.erase(it->second->target());
  watches_.erase(it);
  Enqueue(wd, IN_IGNORED, 0, {});
}

void InotifyFile::Enqueue(int32_t wd, uint32_t mask, uint32_t cookie, std::string_view name) {
  // inotify_merge(): an event identical to the last queued one is dropped.
  if (!events_.empty()) {
    const Event& last = events_.back();
    if (last.mask == mask && last.wd == wd && last.cookie == cookie && last.name == name &&
        !(last.mask & IN_IGNORED))
      return;
  }
  Event e{wd, mask, cookie, std::string(name)};
  if (events_.size() >= kMaxQueuedEvents) {
    // fsnotify_insert_event(): one IN_Q_OVERFLOW ends a full queue.
    if (events_.back().mask == IN_Q_OVERFLOW) return;
    e = Event{-1, IN_Q_OVERFLOW, 0, {}};
  }
  queued_bytes_ += e.Size();
  events_.push_back(std::move(e));
  queue_.Notify(POLLIN | POLLRDNORM);
}

SysResult<size_t> InotifyFile::Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) {
  if (events_.empty()) return Err(Errno::kEAGAIN);
  size_t room = vfs::TotalLength(dst);
  if (events_.front().Size() > room) return Err(Errno::kEINVAL);
  std::string out;
  while (!events_.empty() && out.size() + events_.front().Size() <= room) {
    const Event& e = events_.front();
    struct inotify_event h{};
    h.wd = e.wd;
    h.mask = e.mask;
    h.cookie = e.cookie;
    h.len = static_cast<uint32_t>(e.Size() - sizeof(h));
    size_t at = out.size();
    out.resize(at + e.Size(), '\0');
    std::memcpy(out.data() + at, &h, sizeof(h));
    std::memcpy(out.data() + at + sizeof(h), e.name.data(), e.name.size());
    queued_bytes_ -= e.Size();
    events_.pop_front();
  }
  CopyToIoVecs(dst, out.data(), out.size());
  return out.size();
}

SysResult<uint64_t> InotifyFile::Ioctl(kernel::Task& t, uint32_t cmd, uint64_t arg) {
  if (cmd != FIONREAD) return Err(Errno::kENOTTY);
  TRY(t.CopyOut(kernel::UserPtr<int>{arg}, static_cast<int>(queued_bytes_)));
  return 0;
}

uint32_t InotifyFile::Readiness(uint32_t mask) {
  return events_.empty() ? 0 : (mask & (POLLIN | POLLRDNORM));
}

}  // namespace bulwark::fsimpl

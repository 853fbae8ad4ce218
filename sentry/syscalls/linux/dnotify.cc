// F_NOTIFY (dnotify, fcntl(2)): signals on changes in a directory, built
// on the fsnotify marks of vfs/fsnotify.h.
//
// Linux keeps one registration per (description, fd table) pair and drops
// it when that table closes the fd (dnotify_flush()); here it belongs to
// the description and goes when the description does, or with
// F_NOTIFY 0.
#include <fcntl.h>
#include <signal.h>

#include "sentry/kernel/kernel.h"
#include "sentry/syscalls/linux/fcntl_async.h"

namespace bulwark::syscalls {

namespace {

constexpr uint32_t kDnEvents = DN_ACCESS | DN_MODIFY | DN_CREATE | DN_DELETE | DN_RENAME |
                               DN_ATTRIB;

// convert_arg(): DN_* to the fsnotify events.
uint32_t ToEvents(uint32_t dn) {
  uint32_t m = 0;
  if (dn & DN_ACCESS) m |= IN_ACCESS;
  if (dn & DN_MODIFY) m |= IN_MODIFY;
  if (dn & DN_CREATE) m |= IN_CREATE;
  if (dn & DN_DELETE) m |= IN_DELETE;
  if (dn & DN_RENAME) m |= IN_MOVED_FROM | IN_MOVED_TO;
  if (dn & DN_ATTRIB) m |= IN_ATTRIB;
  return m;
}

class DnotifyMark : public vfs::NotifyMark {
 public:
  DnotifyMark(kernel::Kernel& k, vfs::FileDescription& file, int fd, uint32_t dn)
      : kernel_(k), file_(file), fd_(fd), dn_(dn) {}
  ~DnotifyMark() override { Detach(); }

  void Add(int fd, uint32_t dn) {
    fd_ = fd;
    dn_ |= dn;
  }

  uint32_t Interest() const override { return ToEvents(dn_); }

  // dnotify_handle_event(): every event on the directory and its entries
  // (the mark is only ever on a directory); one-shot unless DN_MULTISHOT.
  void Handle(uint32_t mask, uint32_t cookie, std::string_view name, bool unlinked) override {
    SendSigio(kernel_, file_.owner, fd_, POLL_MSG);
    if (!(dn_ & DN_MULTISHOT)) file_.dnotify.reset();  // destroys this
  }

  void InodeGone() override { file_.dnotify.reset(); }  // destroys this

 private:
  kernel::Kernel& kernel_;
  vfs::FileDescription& file_;  // owns this mark
  int fd_;
  uint32_t dn_;
};

}  // namespace

// fcntl_dirnotify()
SysResult<int64_t> FcntlNotify(Task& t, vfs::FileDescription& f, int fd, uint64_t arg) {
  auto dn = static_cast<uint32_t>(arg);
  if ((dn & ~DN_MULTISHOT) == 0) {
    f.dnotify.reset();
    return 0;
  }
  if (!f.path().valid() || !f.path().ino().IsDir()) return Err(Errno::kENOTDIR);
  dn &= kDnEvents | DN_MULTISHOT;
  // The caller becomes the owner that gets the signal.
  f.owner.type = F_OWNER_PID;
  f.owner.pid = t.tgid();
  if (auto* mark = dynamic_cast<DnotifyMark*>(f.dnotify.get())) {
    mark->Add(fd, dn);
    return 0;
  }
  auto mark = std::make_unique<DnotifyMark>(t.kernel(), f, fd, dn);
  mark->Attach(f.path().ino());
  f.dnotify = std::move(mark);
  return 0;
}

}  // namespace bulwark::syscalls

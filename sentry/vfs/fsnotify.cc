#include "sentry/vfs/fsnotify.h"

#include <algorithm>
#include <vector>

#include "sentry/vfs/file.h"

namespace bulwark::vfs {

namespace {

int g_marks = 0;       // marks attached anywhere: the fast path when 0
uint32_t g_cookie = 0;  // fsnotify_get_cookie()

bool Attached(const Inode& inode, const NotifyMark* m) {
  return std::find(inode.notify_marks.begin(), inode.notify_marks.end(), m) !=
         inode.notify_marks.end();
}

// Hands an event to every mark of `inode` that wants it. Handlers may
// detach marks, so the list is copied and each mark rechecked.
void Deliver(Inode& inode, uint32_t mask, uint32_t cookie, std::string_view name,
             bool unlinked) {
  if (inode.notify_marks.empty()) return;
  std::vector<NotifyMark*> marks = inode.notify_marks;
  for (NotifyMark* m : marks) {
    if (!Attached(inode, m) || !(m->Interest() & mask & ~IN_ISDIR)) continue;
    m->Handle(mask, cookie, name, unlinked);
  }
}

uint32_t DirBit(const Inode& inode) { return inode.IsDir() ? IN_ISDIR : 0; }

// dentry_unlink_inode() → fsnotify_inoderemove(): if the inode has no
// name left, IN_DELETE_SELF (without IN_ISDIR, as Linux reports it) and
// the marks' end.
void MaybeInodeRemoved(Inode& inode) {
  if (inode.notify_marks.empty()) return;
  auto st = inode.GetStat();
  if (!st || st->nlink != 0) return;
  Deliver(inode, IN_DELETE_SELF, 0, {}, false);
  std::vector<NotifyMark*> marks = inode.notify_marks;
  for (NotifyMark* m : marks)
    if (Attached(inode, m)) m->InodeGone();
}

}  // namespace

void NotifyMark::Attach(Inode& inode) {
  Detach();
  inode_ = &inode;
  inode.notify_marks.push_back(this);
  ++g_marks;
}

void NotifyMark::Detach() {
  if (inode_ == nullptr) return;
  auto& v = inode_->notify_marks;
  v.erase(std::remove(v.begin(), v.end(), this), v.end());
  inode_ = nullptr;
  --g_marks;
}

int NotifyMarkCount() { return g_marks; }

uint32_t SetStatEvents(const SetStatRequest& req) {
  using R = SetStatRequest;
  uint32_t mask = 0;
  if (req.mask & (R::kUid | R::kGid | R::kMode)) mask |= IN_ATTRIB;
  if (req.mask & R::kSize) mask |= IN_MODIFY;
  bool atime = req.mask & (R::kAtime | R::kAtimeNow);
  bool mtime = req.mask & (R::kMtime | R::kMtimeNow);
  // Both times mean a utimes call.
  if (atime && mtime) {
    mask |= IN_ATTRIB;
  } else if (atime) {
    mask |= IN_ACCESS;
  } else if (mtime) {
    mask |= IN_MODIFY;
  }
  return mask;
}

void NotifyPath(const Path& p, uint32_t mask) {
  if (g_marks == 0 || !p.dentry || mask == 0) return;
  Inode& inode = p.ino();
  mask |= DirBit(inode);
  bool unlinked = p.dentry->dead();
  // The parent hears of its children's events first (fsnotify_parent()
  // reports to the parent's marks before the child's own).
  if (const auto& parent = p.dentry->parent())
    Deliver(parent->ino(), mask, 0, p.dentry->name(), unlinked);
  Deliver(inode, mask, 0, {}, unlinked);
}

void NotifyFile(const FileDescription& f, uint32_t mask) {
  if (g_marks == 0 || (f.flags() & O_PATH)) return;
  NotifyPath(f.path(), mask);
}

void NotifyCreate(const Dentry& dir, std::string_view name, const Inode& child) {
  if (g_marks == 0) return;
  Deliver(dir.ino(), IN_CREATE | DirBit(child), 0, name, false);
}

void NotifyLink(const Dentry& dir, std::string_view name, Inode& target) {
  if (g_marks == 0) return;
  Deliver(target, IN_ATTRIB | DirBit(target), 0, {}, false);
  Deliver(dir.ino(), IN_CREATE, 0, name, false);
}

void NotifyRemove(const Dentry& dir, std::string_view name, const Dentry& victim, bool rmdir) {
  if (g_marks == 0) return;
  Inode& inode = victim.ino();
  // vfs_unlink() reports the link count; vfs_rmdir() does not.
  if (!rmdir) Deliver(inode, IN_ATTRIB, 0, {}, false);
  if (victim.weak_from_this().use_count() <= 1) MaybeInodeRemoved(inode);
  Deliver(dir.ino(), IN_DELETE | DirBit(inode), 0, name, false);
}

void NotifyDentryReleased(const Dentry& d) {
  if (g_marks == 0 || !d.inode()) return;
  MaybeInodeRemoved(d.ino());
}

void NotifyRename(const Dentry& old_dir, std::string_view old_name, const Dentry& new_dir,
                  std::string_view new_name, Inode& moved, Inode* replaced) {
  if (g_marks == 0) return;
  uint32_t cookie = ++g_cookie;
  uint32_t isdir = DirBit(moved);
  Deliver(old_dir.ino(), IN_MOVED_FROM | isdir, cookie, old_name, false);
  Deliver(new_dir.ino(), IN_MOVED_TO | isdir, cookie, new_name, false);
  if (replaced != nullptr) Deliver(*replaced, IN_ATTRIB | DirBit(*replaced), 0, {}, false);
  // Linux reports IN_MOVE_SELF, like IN_DELETE_SELF, without IN_ISDIR.
  Deliver(moved, IN_MOVE_SELF, 0, {}, false);
}

}  // namespace bulwark::vfs

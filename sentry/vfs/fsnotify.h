// Filesystem change notification (Linux's fsnotify): the VFS reports
// events on inodes here, and marks hung off the inodes (inotify watches,
// dnotify directories) receive them.
//
// Event bits are inotify(7)'s IN_* values, which Linux's FS_* bits share.
// The VFS operations (ops_*.cc, file.cc) and the I/O syscalls call the
// Notify* functions after an operation succeeded, in Linux's order
// (include/linux/fsnotify.h). Only changes made through this sentry are
// seen: a change made on the host behind a gofer mount produces no event
// (deliberate, as gVisor for non-exclusive mounts).
//
// Everything here runs with the kernel lock held.
#pragma once

#include <sys/inotify.h>

#include <cstdint>
#include <string_view>

#include "sentry/vfs/mount.h"
#include "sentry/vfs/types.h"

namespace bulwark::vfs {

class FileDescription;

// One watcher's interest in one inode. A mark links itself into
// Inode::notify_marks (Attach) and must Detach before it is destroyed.
class NotifyMark {
 public:
  NotifyMark() = default;
  NotifyMark(const NotifyMark&) = delete;
  NotifyMark& operator=(const NotifyMark&) = delete;
  virtual ~NotifyMark() = default;

  // IN_* event bits this mark wants (events outside it are not delivered;
  // IN_ISDIR is not an event and need not be in it).
  virtual uint32_t Interest() const = 0;
  // An event on the marked inode. `name` is the child's name for events
  // on a directory's entries or children, empty for events on the inode
  // itself. `unlinked`: the event came through a name that has since been
  // removed (for IN_EXCL_UNLINK). May Detach this or any other mark.
  virtual void Handle(uint32_t mask, uint32_t cookie, std::string_view name, bool unlinked) = 0;
  // The marked inode lost its last link (after IN_DELETE_SELF was
  // handled): the mark must Detach (inotify queues IN_IGNORED).
  virtual void InodeGone() = 0;

  void Attach(Inode& inode);
  void Detach();
  Inode* inode() const { return inode_; }

 private:
  Inode* inode_ = nullptr;
};

// The events of a setattr request (fsnotify_change()).
uint32_t SetStatEvents(const SetStatRequest& req);

// An event on the file at `p` itself (IN_ACCESS, IN_MODIFY, IN_ATTRIB,
// IN_OPEN, IN_CLOSE_*): to the inode's marks and, with the name, to its
// parent directory's (fsnotify_parent()). IN_ISDIR is added for
// directories.
void NotifyPath(const Path& p, uint32_t mask);
// The same for an open file; nothing for O_PATH and anonymous files.
void NotifyFile(const FileDescription& f, uint32_t mask);
// `name` was created in `dir` (create, mkdir, mknod, symlink).
void NotifyCreate(const Dentry& dir, std::string_view name, const Inode& child);
// link(2): IN_ATTRIB on the target, then IN_CREATE in `dir`.
void NotifyLink(const Dentry& dir, std::string_view name, Inode& target);
// `victim` (named `name`) was removed from `dir` by unlink or rmdir:
// IN_ATTRIB on a file; IN_DELETE_SELF and the marks' end if that was the
// inode's last link and nobody else uses the dentry (else when the last
// user goes, as d_delete() does: an open file reports it at its last
// close); then IN_DELETE in `dir`. Precondition: the caller holds one
// reference to `victim`.
void NotifyRemove(const Dentry& dir, std::string_view name, const Dentry& victim, bool rmdir);
// rename(2) of `moved` from old_dir/old_name to new_dir/new_name:
// IN_MOVED_FROM and IN_MOVED_TO with one cookie, IN_ATTRIB on `replaced`
// (the target it replaced; may be null), IN_MOVE_SELF. The replaced
// inode's IN_DELETE_SELF follows when its dentry is released.
void NotifyRename(const Dentry& old_dir, std::string_view old_name, const Dentry& new_dir,
                  std::string_view new_name, Inode& moved, Inode* replaced);
// An unlinked dentry's last reference is going (~Dentry).
void NotifyDentryReleased(const Dentry& d);

// Tests: how many marks exist sentry-wide.
int NotifyMarkCount();

}  // namespace bulwark::vfs

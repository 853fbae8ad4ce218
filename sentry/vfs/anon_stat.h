// Attributes kept by a file description that has no inode of its own
// (pipes from pipe(2), sockets from socket(2)).
#pragma once

#include <sys/stat.h>

#include "base/result.h"
#include "sentry/vfs/types.h"

namespace bulwark::vfs {

// fchmod/fchown/futimens on such a file: applies `req` to `st` as a pseudo
// filesystem inode does; truncation is EINVAL.
inline SysResult<void> SetAnonStat(Stat& st, const SetStatRequest& req) {
  using R = SetStatRequest;
  if (req.mask & R::kSize) return Err(Errno::kEINVAL);
  timespec now = Now();
  if (req.mask & R::kMode) st.mode = (st.mode & S_IFMT) | (req.mode & 07777);
  if (req.mask & R::kUid) st.uid = req.uid;
  if (req.mask & R::kGid) st.gid = req.gid;
  if (req.mask & R::kAtime) st.atime = req.atime;
  if (req.mask & R::kMtime) st.mtime = req.mtime;
  if (req.mask & R::kAtimeNow) st.atime = now;
  if (req.mask & R::kMtimeNow) st.mtime = now;
  st.ctime = now;
  return {};
}

}  // namespace bulwark::vfs

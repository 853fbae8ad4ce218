// /proc/<pid>/ns/: namespace files (nsfs in Linux).
#pragma once

#include <memory>

#include "sentry/fsimpl/proc/inode.h"
#include "sentry/kernel/namespaces.h"
#include "sentry/vfs/file.h"

namespace bulwark::fsimpl::proc {

// An open namespace file: what setns(2) takes.
class NsFile : public vfs::FileDescription {
 public:
  NsFile(vfs::Path path, int flags, std::shared_ptr<kernel::Namespace> ns)
      : vfs::FileDescription(std::move(path), flags), ns_(std::move(ns)) {}
  const std::shared_ptr<kernel::Namespace>& ns() const { return ns_; }

 private:
  std::shared_ptr<kernel::Namespace> ns_;
};

// The ns/ directory of a process or thread.
std::shared_ptr<vfs::Inode> NewNsDir(const std::shared_ptr<ProcFs>& fs, Target t, uint64_t ino);

}  // namespace bulwark::fsimpl::proc

// procfs internals: the filesystem object and the kinds of synthetic inode.
//
// Inodes hold process ids, never kernel objects: every operation looks the
// process up again, so a cached dentry of a process that is gone fails with
// ENOENT instead of showing stale state.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/inode.h"

namespace bulwark::fsimpl::proc {

struct ProcFs {
  kernel::Kernel& kernel;
  uint64_t dev = 0;
  std::string cpuinfo;
  uint64_t mem_total = 0;
  int ncpus = 1;
  timespec mount_time{};
  std::string boot_id;
  std::map<pid_t, int> oom_score_adj;  // by tgid; guarded by the kernel lock
  std::weak_ptr<vfs::Inode> root;
  uint64_t next_ino = 2;  // 1 is the root
};

// A process (tid == 0: its leader) or one of its threads.
struct Target {
  pid_t tgid = 0;
  pid_t tid = 0;
};

struct Resolved {
  std::shared_ptr<kernel::ThreadGroup> tg;
  kernel::Task* task = nullptr;  // null once every thread has exited
};
// ENOENT when the process (or thread) is gone.
SysResult<Resolved> ResolveTarget(ProcFs& fs, Target t);

// Inode numbers of per-process entries: unique, and the same for every
// lookup of the same name.
enum class Space : uint64_t { kPidDir = 0, kPidFile = 1, kFd = 3, kFdInfo = 4, kMisc = 5 };
inline uint64_t PidIno(pid_t id, Space space, uint64_t n) {
  return (static_cast<uint64_t>(id) << 32) | (static_cast<uint64_t>(space) << 24) | n;
}

class ProcInode : public vfs::Inode {
 public:
  // `owner`: the process whose effective ids own the inode; root otherwise.
  ProcInode(std::shared_ptr<ProcFs> fs, uint32_t mode, uint64_t ino,
            std::optional<Target> owner = std::nullopt);
  SysResult<vfs::Stat> GetStat() override;
  ProcFs& fs() const { return *fs_; }
  const std::shared_ptr<ProcFs>& fs_ptr() const { return fs_; }

 protected:
  virtual uint32_t Nlink() { return IsDir() ? 2 : 1; }
  virtual uint64_t Size() { return 0; }

  std::shared_ptr<ProcFs> fs_;
  uint32_t mode_;
  uint64_t ino_;
  std::optional<Target> owner_;
  timespec time_;
};

// File contents, generated for `reader`.
using Generator = std::function<SysResult<std::string>(kernel::Task& reader)>;
// Handles a write of `data` by `writer`; returns the bytes consumed.
using WriteHandler = std::function<SysResult<size_t>(kernel::Task& writer, std::string_view data)>;

// A synthetic file. Contents are generated on the first read and again on
// every read at offset 0, like a seq_file.
class ProcFile : public ProcInode {
 public:
  // `no_write`: what a write fails with when there is no handler (EIO for
  // /proc/<file>, EINVAL for /proc/<pid>/<file>, as Linux).
  ProcFile(std::shared_ptr<ProcFs> fs, uint32_t perm, uint64_t ino, Generator gen,
           WriteHandler write = nullptr, Errno no_write = Errno::kEIO,
           std::optional<Target> owner = std::nullopt);
  SysResult<std::shared_ptr<vfs::FileDescription>> Open(kernel::Task& task, const vfs::Path& path,
                                                        int flags) override;

 private:
  Generator gen_;
  WriteHandler write_;
  Errno no_write_;
};

// A symlink whose text is computed; magic links also resolve to a Path.
class ProcLink : public ProcInode {
 public:
  using Text = std::function<SysResult<std::string>(kernel::Task* reader)>;
  using Magic = std::function<SysResult<vfs::Path>(kernel::Task& task)>;
  ProcLink(std::shared_ptr<ProcFs> fs, uint64_t ino, Text text, Magic magic = nullptr,
           std::optional<Target> owner = std::nullopt, uint32_t perm = 0777, uint64_t size = 0);
  SysResult<std::string> Readlink() override { return text_(nullptr); }
  SysResult<std::string> ReadlinkAs(kernel::Task& task) override { return text_(&task); }
  std::optional<SysResult<vfs::Path>> FollowMagicLink(kernel::Task& task) override;
  SysResult<std::shared_ptr<vfs::FileDescription>> Open(kernel::Task& task, const vfs::Path& path,
                                                        int flags) override;

 protected:
  uint64_t Size() override { return size_; }

 private:
  Text text_;
  Magic magic_;
  uint64_t size_;
};

// A directory; subclasses list and look up their entries.
class ProcDir : public ProcInode {
 public:
  using ProcInode::ProcInode;
  SysResult<std::shared_ptr<vfs::FileDescription>> Open(kernel::Task& task, const vfs::Path& path,
                                                        int flags) override;
};

// A directory with a fixed set of children, created up front.
class StaticDir : public ProcDir {
 public:
  StaticDir(std::shared_ptr<ProcFs> fs, uint32_t perm, uint64_t ino);
  void Add(std::string name, std::shared_ptr<vfs::Inode> child);
  SysResult<std::shared_ptr<vfs::Inode>> Lookup(std::string_view name) override;
  SysResult<std::vector<vfs::DirEntry>> ReadDir() override;

 protected:
  std::vector<std::pair<std::string, std::shared_ptr<vfs::Inode>>> children_;
};

// A read-only file with fixed or generated text (for the static tree).
std::shared_ptr<vfs::Inode> StaticFile(const std::shared_ptr<ProcFs>& fs, Generator gen,
                                       WriteHandler write = nullptr, uint32_t perm = 0444);


// Builders for the per-process tree (pid.cc, fd.cc).
std::shared_ptr<vfs::Inode> NewPidDir(const std::shared_ptr<ProcFs>& fs, Target t,
                                      bool with_tasks);
// fd/ (magic links) or, with `info`, fdinfo/.
std::shared_ptr<vfs::Inode> NewFdDir(const std::shared_ptr<ProcFs>& fs, Target t, bool info,
                                     uint64_t ino);
// The mount of this procfs (ENOENT when not mounted).
SysResult<std::shared_ptr<vfs::Mount>> ProcMount(ProcFs& fs);

}  // namespace bulwark::fsimpl::proc

// /proc/<pid>/fd/ and /proc/<pid>/fdinfo/.

#include <dirent.h>

#include <charconv>
#include <cstdio>

#include "sentry/fsimpl/host/host_file.h"
#include "sentry/fsimpl/proc/inode.h"
#include "sentry/kernel/task.h"

namespace bulwark::fsimpl::proc {

namespace {

using kernel::Task;

// An open file without a path (pipe, socket, the container's stdio), as
// reached through its fd link.
class AnonFileInode : public vfs::Inode {
 public:
  AnonFileInode(std::shared_ptr<vfs::FileDescription> file, uint32_t type)
      : vfs::Inode(type), file_(std::move(file)) {}

  SysResult<vfs::Stat> GetStat() override { return file_->GetStat(); }

  SysResult<std::shared_ptr<vfs::FileDescription>> Open(kernel::Task& task, const vfs::Path& path,
                                                        int flags) override {
    if (flags & O_PATH) return std::make_shared<vfs::FileDescription>(path, flags);
    if (auto host = host::HostFdOf(*file_))
      return host::NewHostFileDescription(host, flags & (O_ACCMODE | O_APPEND | O_NONBLOCK));
    // open(2): ENXIO for a socket.
    if (type() == S_IFSOCK) return Err(Errno::kENXIO);
    // Deliberate difference from Linux, which opens a new description of
    // the same pipe (or other object): without a way to do that for every
    // kind of file, the existing description is shared, with its flags.
    int access = flags & O_ACCMODE;
    if ((access != O_WRONLY && !file_->Readable()) || (access != O_RDONLY && !file_->Writable()))
      return Err(Errno::kEACCES);
    return file_;
  }

 private:
  std::shared_ptr<vfs::FileDescription> file_;
};

// fd numbers are written without leading zeros (name_to_int()).
std::optional<int> ParseFd(std::string_view name) {
  if (name.empty() || (name.size() > 1 && name[0] == '0')) return std::nullopt;
  int fd = -1;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), fd);
  if (ec != std::errc() || p != name.data() + name.size() || fd < 0) return std::nullopt;
  return fd;
}

SysResult<const kernel::FdTable::Entry*> EntryOf(ProcFs& fs, Target t, int fd) {
  Resolved r = TRY(ResolveTarget(fs, t));
  if (!r.task || !r.task->fds_) return Err(Errno::kENOENT);
  const kernel::FdTable::Entry* e = r.task->fds().GetEntry(fd);
  if (!e) return Err(Errno::kENOENT);
  return e;
}

vfs::Path RootFor(ProcFs& fs, Task* reader, Target t) {
  if (reader && reader->fs_) return reader->fs().root;
  if (auto r = ResolveTarget(fs, t); r && r->task && r->task->fs_) return r->task->fs().root;
  return fs.kernel.mounts().RootPath();
}

std::shared_ptr<vfs::Inode> FdLink(const std::shared_ptr<ProcFs>& fs, Target t, int fd,
                                   const vfs::FileDescription& file) {
  ProcFs* raw = fs.get();
  auto text = [raw, t, fd](Task* reader) -> SysResult<std::string> {
    const kernel::FdTable::Entry* e = TRY(EntryOf(*raw, t, fd));
    const vfs::Path& p = e->file->path();
    if (!p.valid()) return e->file->AnonName();
    return raw->kernel.mounts().PathString(p, RootFor(*raw, reader, t));
  };
  auto magic = [raw, t, fd](Task& task) -> SysResult<vfs::Path> {
    const kernel::FdTable::Entry* e = TRY(EntryOf(*raw, t, fd));
    if (e->file->path().valid()) return e->file->path();
    vfs::Stat st = TRY(e->file->GetStat());
    std::shared_ptr<vfs::Mount> m = TRY(ProcMount(*raw));
    auto inode = std::make_shared<AnonFileInode>(e->file, st.mode & S_IFMT);
    return vfs::Path{std::move(m),
                     std::make_shared<vfs::Dentry>(e->file->AnonName(), nullptr, std::move(inode))};
  };
  // The link's permissions show the file's access mode (proc_fd_link()).
  uint32_t perm = (file.Readable() ? 0500 : 0) | (file.Writable() ? 0300 : 0);
  pid_t id = t.tid ? t.tid : t.tgid;
  return std::make_shared<ProcLink>(fs, PidIno(id, Space::kFd, fd), text, magic, t, perm, 64);
}

std::shared_ptr<vfs::Inode> FdInfo(const std::shared_ptr<ProcFs>& fs, Target t, int fd) {
  ProcFs* raw = fs.get();
  auto gen = [raw, t, fd](Task&) -> SysResult<std::string> {
    const kernel::FdTable::Entry* e = TRY(EntryOf(*raw, t, fd));
    const vfs::FileDescription& f = *e->file;
    uint64_t ino = 0;
    if (auto st = e->file->GetStat()) ino = st->ino;
    // The kernel's O_LARGEFILE (glibc defines it as 0 on 64-bit), which
    // every open on x86-64 sets (force_o_largefile()).
    constexpr int kKernelLargefile = 0100000;
    int flags = f.flags() | kKernelLargefile | (e->cloexec ? O_CLOEXEC : 0);
    char buf[160];
    snprintf(buf, sizeof(buf), "pos:\t%lu\nflags:\t0%o\nmnt_id:\t%lu\nino:\t%lu\n", f.offset,
             flags, f.path().mount ? f.path().mount->id() : 0, ino);
    return std::string(buf);
  };
  pid_t id = t.tid ? t.tid : t.tgid;
  return std::make_shared<ProcFile>(fs, 0400, PidIno(id, Space::kFdInfo, fd), gen, nullptr,
                                    Errno::kEINVAL, t);
}

class FdDir : public ProcDir {
 public:
  FdDir(std::shared_ptr<ProcFs> fs, Target t, bool info, uint64_t ino)
      : ProcDir(std::move(fs), S_IFDIR | 0500, ino, t), target_(t), info_(info) {}

  SysResult<std::shared_ptr<vfs::Inode>> Lookup(std::string_view name) override {
    std::optional<int> fd = ParseFd(name);
    if (!fd) return Err(Errno::kENOENT);
    const kernel::FdTable::Entry* e = TRY(EntryOf(*fs_, target_, *fd));
    if (info_) return FdInfo(fs_, target_, *fd);
    return FdLink(fs_, target_, *fd, *e->file);
  }

  SysResult<std::vector<vfs::DirEntry>> ReadDir() override {
    Resolved r = TRY(ResolveTarget(*fs_, target_));
    std::vector<vfs::DirEntry> out;
    if (!r.task || !r.task->fds_) return out;
    pid_t id = target_.tid ? target_.tid : target_.tgid;
    for (const auto& [fd, entry] : r.task->fds().entries()) {
      out.push_back(vfs::DirEntry{PidIno(id, info_ ? Space::kFdInfo : Space::kFd,
                                         static_cast<uint64_t>(fd)),
                                  static_cast<uint8_t>(info_ ? DT_REG : DT_LNK),
                                  std::to_string(fd)});
    }
    return out;
  }

 private:
  Target target_;
  bool info_;
};

}  // namespace

std::shared_ptr<vfs::Inode> NewFdDir(const std::shared_ptr<ProcFs>& fs, Target t, bool info,
                                     uint64_t ino) {
  return std::make_shared<FdDir>(fs, t, info, ino);
}

}  // namespace bulwark::fsimpl::proc

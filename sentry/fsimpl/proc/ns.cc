// /proc/<pid>/ns/: one magic link per namespace, "type:[inode]", whose
// target is the namespace's nsfs inode (regular, 0444, device 0:4 as the
// host's nsfs usually is; sandbox filesystems use minors from 16 up).
#include "sentry/fsimpl/proc/ns.h"

#include <dirent.h>
#include <sys/sysmacros.h>

#include "sentry/kernel/task.h"

namespace bulwark::fsimpl::proc {

namespace {

using kernel::NsType;

const uint64_t kNsfsDev = makedev(0, 4);

struct NsEntry {
  const char* name;
  NsType type;
};
// In Linux's listing order. The *_for_children entries are the task's own
// namespaces: new pid and time namespaces are never created here.
constexpr NsEntry kNsEntries[] = {
    {"cgroup", NsType::kCgroup}, {"ipc", NsType::kIpc},
    {"mnt", NsType::kMnt},       {"net", NsType::kNet},
    {"pid", NsType::kPid},       {"pid_for_children", NsType::kPid},
    {"time", NsType::kTime},     {"time_for_children", NsType::kTime},
    {"user", NsType::kUser},     {"uts", NsType::kUts},
};

class NsInode : public vfs::Inode {
 public:
  explicit NsInode(std::shared_ptr<kernel::Namespace> ns)
      : vfs::Inode(S_IFREG), ns_(std::move(ns)) {}

  SysResult<vfs::Stat> GetStat() override {
    vfs::Stat st;
    st.dev = kNsfsDev;
    st.ino = ns_->ino;
    st.mode = S_IFREG | 0444;
    st.blksize = 4096;
    return st;
  }

  SysResult<std::shared_ptr<vfs::FileDescription>> Open(kernel::Task& task, const vfs::Path& path,
                                                        int flags) override {
    // Namespace files refuse reads and writes but open with any access mode.
    return std::shared_ptr<vfs::FileDescription>(std::make_shared<NsFile>(path, flags, ns_));
  }

 private:
  std::shared_ptr<kernel::Namespace> ns_;
};

std::string LinkText(const kernel::Namespace& ns) {
  return std::string(kernel::NsName(ns.type)) + ":[" + std::to_string(ns.ino) + "]";
}

SysResult<std::shared_ptr<kernel::Namespace>> NsOf(ProcFs& fs, Target t, NsType type) {
  Resolved r = TRY(ResolveTarget(fs, t));
  if (!r.task) return Err(Errno::kENOENT);
  return kernel::NamespacesOf(*r.task)->ns[static_cast<int>(type)];
}

class NsDir : public ProcDir {
 public:
  NsDir(std::shared_ptr<ProcFs> fs, Target t, uint64_t ino)
      : ProcDir(std::move(fs), S_IFDIR | 0511, ino, t), target_(t) {}

  SysResult<std::shared_ptr<vfs::Inode>> Lookup(std::string_view name) override {
    for (size_t i = 0; i < std::size(kNsEntries); ++i)
      if (name == kNsEntries[i].name) return Link(i);
    return Err(Errno::kENOENT);
  }

  SysResult<std::vector<vfs::DirEntry>> ReadDir() override {
    TRY(ResolveTarget(*fs_, target_));
    std::vector<vfs::DirEntry> out;
    for (size_t i = 0; i < std::size(kNsEntries); ++i)
      out.push_back(vfs::DirEntry{LinkIno(i), DT_LNK, kNsEntries[i].name});
    return out;
  }

 private:
  uint64_t LinkIno(size_t i) const {
    pid_t id = target_.tid ? target_.tid : target_.tgid;
    return PidIno(id, Space::kMisc, 0x100 + i);
  }

  SysResult<std::shared_ptr<vfs::Inode>> Link(size_t i) {
    TRY(ResolveTarget(*fs_, target_));
    ProcFs* raw = fs_.get();
    Target t = target_;
    NsType type = kNsEntries[i].type;
    auto text = [raw, t, type](kernel::Task*) -> SysResult<std::string> {
      auto ns = TRY(NsOf(*raw, t, type));
      return LinkText(*ns);
    };
    auto magic = [raw, t, type](kernel::Task&) -> SysResult<vfs::Path> {
      auto ns = TRY(NsOf(*raw, t, type));
      std::shared_ptr<vfs::Mount> m = TRY(ProcMount(*raw));
      return vfs::Path{std::move(m), std::make_shared<vfs::Dentry>(LinkText(*ns), nullptr,
                                                                   std::make_shared<NsInode>(ns))};
    };
    return std::shared_ptr<vfs::Inode>(
        std::make_shared<ProcLink>(fs_, LinkIno(i), text, magic, t, 0777));
  }

  Target target_;
};

}  // namespace

std::shared_ptr<vfs::Inode> NewNsDir(const std::shared_ptr<ProcFs>& fs, Target t, uint64_t ino) {
  return std::make_shared<NsDir>(fs, t, ino);
}

}  // namespace bulwark::fsimpl::proc

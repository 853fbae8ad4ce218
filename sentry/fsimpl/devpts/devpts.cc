// The devpts filesystem: its root directory, ptmx and the replica nodes.

#include "sentry/fsimpl/devpts/devpts.h"

#include <dirent.h>
#include <sys/sysmacros.h>

#include <charconv>
#include <string>

#include "sentry/fsimpl/devpts/pty.h"
#include "sentry/kernel/task.h"

namespace bulwark::fsimpl::devpts {

namespace {

// Inode numbers as Linux: root 1, ptmx 2, replica N is N+3.
constexpr uint64_t kRootIno = 1, kPtmxIno = 2, kFirstPtyIno = 3;

std::optional<unsigned> ParseIndex(std::string_view name) {
  if (name.empty() || (name.size() > 1 && name[0] == '0')) return std::nullopt;
  unsigned n = 0;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
  if (ec != std::errc() || p != name.data() + name.size()) return std::nullopt;
  return n;
}

// Attributes every node of the instance starts from.
vfs::Stat BaseStat(const DevPts& fs, uint64_t ino, uint32_t mode) {
  vfs::Stat st;
  st.dev = fs.dev;
  st.ino = ino;
  st.mode = mode;
  st.blksize = 1024;
  st.atime = st.mtime = st.ctime = fs.created;
  return st;
}

class PtmxNode : public vfs::Inode {
 public:
  explicit PtmxNode(DevPts& fs) : vfs::Inode(S_IFCHR), fs_(fs) {}
  SysResult<vfs::Stat> GetStat() override {
    vfs::Stat st = BaseStat(fs_, kPtmxIno, S_IFCHR | (fs_.options.ptmx_mode & 07777));
    st.rdev = makedev(5, 2);
    return st;
  }
  SysResult<std::shared_ptr<vfs::FileDescription>> Open(kernel::Task& t, const vfs::Path& path,
                                                        int flags) override {
    return OpenMaster(t, fs_, path, flags);
  }

 private:
  DevPts& fs_;
};

// /dev/pts/N: whichever pair has index N now (ENOENT when none).
class PtsNode : public vfs::Inode {
 public:
  PtsNode(DevPts& fs, unsigned index) : vfs::Inode(S_IFCHR), fs_(fs), index_(index) {}
  SysResult<vfs::Stat> GetStat() override {
    std::shared_ptr<PtyPair> p = fs_.Live(index_);
    if (!p) return Err(Errno::kENOENT);
    vfs::Stat st = BaseStat(fs_, kFirstPtyIno + index_, S_IFCHR | p->mode);
    st.uid = p->uid;
    st.gid = p->gid;
    st.rdev = makedev(kPtyMajor + index_ / 256, index_ % 256);
    st.atime = p->atime;
    st.mtime = p->mtime;
    st.ctime = p->ctime;
    return st;
  }
  SysResult<void> SetStat(const vfs::SetStatRequest& req) override {
    std::shared_ptr<PtyPair> p = fs_.Live(index_);
    if (!p) return Err(Errno::kENOENT);
    if (req.mask & vfs::SetStatRequest::kSize) return Err(Errno::kEINVAL);
    timespec now = vfs::Now();
    if (req.mask & vfs::SetStatRequest::kMode) p->mode = req.mode & 07777;
    if (req.mask & vfs::SetStatRequest::kUid) p->uid = req.uid;
    if (req.mask & vfs::SetStatRequest::kGid) p->gid = req.gid;
    if (req.mask & vfs::SetStatRequest::kAtime) p->atime = req.atime;
    if (req.mask & vfs::SetStatRequest::kAtimeNow) p->atime = now;
    if (req.mask & vfs::SetStatRequest::kMtime) p->mtime = req.mtime;
    if (req.mask & vfs::SetStatRequest::kMtimeNow) p->mtime = now;
    p->ctime = now;
    return {};
  }
  SysResult<std::shared_ptr<vfs::FileDescription>> Open(kernel::Task& t, const vfs::Path& path,
                                                        int flags) override {
    std::shared_ptr<PtyPair> p = fs_.Live(index_);
    if (!p) return Err(Errno::kEIO);
    return OpenReplica(t, std::move(p), path, flags);
  }

 private:
  DevPts& fs_;
  const unsigned index_;
};

class RootDir : public vfs::Inode {
 public:
  explicit RootDir(DevPts& fs) : vfs::Inode(S_IFDIR), fs_(fs) {}
  SysResult<vfs::Stat> GetStat() override {
    vfs::Stat st = BaseStat(fs_, kRootIno, S_IFDIR | 0755);
    st.nlink = 2;
    return st;
  }
  SysResult<std::shared_ptr<vfs::Inode>> Lookup(std::string_view name) override {
    if (name == "ptmx") return fs_.ptmx;
    std::optional<unsigned> n = ParseIndex(name);
    if (!n || !fs_.Live(*n)) return Err(Errno::kENOENT);
    auto& node = fs_.nodes[*n];
    if (!node) node = std::make_shared<PtsNode>(fs_, *n);
    return node;
  }
  SysResult<std::vector<vfs::DirEntry>> ReadDir() override {
    std::vector<vfs::DirEntry> out;
    out.push_back({kPtmxIno, DT_CHR, "ptmx"});
    for (const auto& [index, w] : fs_.pairs)
      if (fs_.Live(index)) out.push_back({kFirstPtyIno + index, DT_CHR, std::to_string(index)});
    return out;
  }
  SysResult<std::shared_ptr<vfs::FileDescription>> Open(kernel::Task& t, const vfs::Path& path,
                                                        int flags) override {
    if ((flags & O_ACCMODE) != O_RDONLY) return Err(Errno::kEISDIR);
    return std::make_shared<vfs::FileDescription>(path, flags);
  }

 private:
  DevPts& fs_;
};

SysResult<uint32_t> ParseNumber(std::string_view v, int base) {
  uint32_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n, base);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size()) return Err(Errno::kEINVAL);
  return n;
}

}  // namespace

SysResult<DevPtsOptions> ParseDevPtsOptions(std::string_view data) {
  DevPtsOptions o;
  while (!data.empty()) {
    size_t comma = data.find(',');
    std::string_view opt = data.substr(0, comma);
    data = comma == std::string_view::npos ? std::string_view() : data.substr(comma + 1);
    if (opt.empty() || opt == "newinstance") continue;
    size_t eq = opt.find('=');
    std::string_view key = opt.substr(0, eq);
    std::string_view val = eq == std::string_view::npos ? std::string_view() : opt.substr(eq + 1);
    if (key == "mode") o.mode = TRY(ParseNumber(val, 8)) & 07777;
    else if (key == "ptmxmode") o.ptmx_mode = TRY(ParseNumber(val, 8)) & 07777;
    else if (key == "uid") o.uid = TRY(ParseNumber(val, 10));
    else if (key == "gid") o.gid = TRY(ParseNumber(val, 10));
    else if (key == "max") o.max = TRY(ParseNumber(val, 10));
    else return Err(Errno::kEINVAL);
  }
  return o;
}

std::shared_ptr<DevPts> NewDevPts(const DevPtsOptions& options) {
  auto fs = std::make_shared<DevPts>(options);
  fs->root = std::make_shared<RootDir>(*fs);
  fs->ptmx = std::make_shared<PtmxNode>(*fs);
  return fs;
}

std::shared_ptr<vfs::Inode> DevPtsRoot(DevPts& fs) { return fs.root; }

void SetDevPtsMount(DevPts& fs, const std::shared_ptr<vfs::Mount>& mount) { fs.mount = mount; }

SysResult<std::shared_ptr<vfs::FileDescription>> OpenPtyDevice(kernel::Task& t, DevPts& fs,
                                                               const vfs::Path& path, int flags,
                                                               uint64_t rdev) {
  unsigned ma = major(rdev), mi = minor(rdev);
  if (ma == 5 && mi == 2) return OpenMaster(t, fs, path, flags);
  if (ma >= kPtyMajor && ma < kPtyMajor + 8) {
    std::shared_ptr<PtyPair> p = fs.Live((ma - kPtyMajor) * 256 + mi);
    if (!p) return Err(Errno::kEIO);
    return OpenReplica(t, std::move(p), path, flags);
  }
  return Err(Errno::kENXIO);
}

}  // namespace bulwark::fsimpl::devpts

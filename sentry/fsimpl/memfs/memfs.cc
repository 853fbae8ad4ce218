#include "sentry/fsimpl/memfs/memfs.h"

#include <linux/capability.h>
#include <sys/sysmacros.h>

#include <atomic>
#include <charconv>
#include <string>

#include "sentry/fsimpl/memfs/inode.h"

namespace bulwark::fsimpl::memfs {

uint64_t AllocAnonDev() {
  static std::atomic<uint32_t> next_minor{16};
  return makedev(0, next_minor.fetch_add(1));
}

// --- MemFs ---

MemFs::MemFs(const MemFsOptions& options) : options_(options), dev_(AllocAnonDev()) {}

Usage MemFs::usage() const {
  return Usage{pages_ * kPageSize, options_.size_limit, inodes_, options_.inode_limit, dev_};
}

SysResult<void> MemFs::ChargeInode() {
  if (options_.inode_limit && inodes_ >= options_.inode_limit) return Err(Errno::kENOSPC);
  ++inodes_;
  return {};
}

SysResult<void> MemFs::ChargePages(uint64_t pages) {
  uint64_t limit = options_.size_limit / kPageSize;
  if (options_.size_limit && pages_ + pages > limit) return Err(Errno::kENOSPC);
  pages_ += pages;
  return {};
}

SysResult<std::shared_ptr<MemInode>> MemFs::Wrap(std::shared_ptr<vfs::Inode> lower, uint64_t ino,
                                                 const std::shared_ptr<DirInode>& parent) {
  vfs::Stat st = TRY(lower->GetStat());
  if ((st.mode & S_IFMT) != lower->type()) return Err(Errno::kEIO);
  auto self = shared_from_this();
  std::shared_ptr<MemInode> inode;
  switch (lower->type()) {
    case S_IFDIR: {
      auto dir = std::make_shared<DirInode>(self, st.mode, st.uid, st.gid, false);
      dir->SetLower(std::move(lower));
      dir->SetParent(parent);
      inode = std::move(dir);
      break;
    }
    case S_IFREG: {
      auto file = std::make_shared<FileInode>(self, st.mode, st.uid, st.gid, false);
      file->SetLower(std::move(lower), st);
      inode = std::move(file);
      break;
    }
    case S_IFLNK: {
      auto link = std::make_shared<SymlinkInode>(self, "", st.uid, st.gid, false);
      link->SetLower(std::move(lower), st.size);
      inode = std::move(link);
      break;
    }
    default: {
      auto special = std::make_shared<SpecialInode>(self, st.mode, st.rdev, st.uid, st.gid, false);
      special->SetLower(std::move(lower));
      inode = std::move(special);
      break;
    }
  }
  inode->CopyAttributes(st);
  if (ino) inode->SetIno(ino);
  return inode;
}

// --- MemInode ---

MemInode::MemInode(std::shared_ptr<MemFs> fs, uint32_t mode, uint32_t uid, uint32_t gid,
                   bool charged)
    : vfs::Inode(mode), fs_(std::move(fs)), ino_(fs_->NextIno()), charged_(charged) {
  attr_.mode = mode;
  attr_.uid = uid;
  attr_.gid = gid;
  attr_.nlink = 1;
  attr_.atime = attr_.mtime = attr_.ctime = attr_.btime = vfs::Now();
}

MemInode::~MemInode() {
  if (charged_) fs_->UnchargeInode();
}

SysResult<vfs::Stat> MemInode::GetStat() {
  vfs::Stat st = attr_;
  st.dev = fs_->dev();
  st.ino = ino_;
  st.size = Size();
  st.blocks = Blocks();
  st.blksize = kPageSize;
  return st;
}

SysResult<void> MemInode::SetStat(const vfs::SetStatRequest& req) {
  using R = vfs::SetStatRequest;
  if (req.mask == 0) return {};
  timespec now = vfs::Now();
  if (req.mask & R::kSize) {
    if (IsDir()) return Err(Errno::kEISDIR);
    if (!IsRegular()) return Err(Errno::kEINVAL);
    if (req.size > kMaxFileSize) return Err(Errno::kEFBIG);
    uint64_t old_size = Size();
    TRY(Truncate(req.size));
    if (req.size != old_size) attr_.mtime = now;
  }
  if (req.mask & R::kMode) attr_.mode = (attr_.mode & S_IFMT) | (req.mode & 07777);
  if (req.mask & R::kUid) attr_.uid = req.uid;
  if (req.mask & R::kGid) attr_.gid = req.gid;
  if (req.mask & R::kAtimeNow) attr_.atime = now;
  else if (req.mask & R::kAtime) attr_.atime = req.atime;
  if (req.mask & R::kMtimeNow) attr_.mtime = now;
  else if (req.mask & R::kMtime) attr_.mtime = req.mtime;
  attr_.ctime = now;
  return {};
}

static bool NotAfter(const timespec& a, const timespec& b) {
  return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec);
}

void MemInode::TouchAtime() {
  timespec now = vfs::Now();
  if (NotAfter(attr_.atime, attr_.mtime) || NotAfter(attr_.atime, attr_.ctime) ||
      now.tv_sec - attr_.atime.tv_sec >= 24 * 60 * 60) {
    attr_.atime = now;
  }
}

void MemInode::KillSuid(const kernel::Credentials& creds) {
  bool suid = attr_.mode & S_ISUID;
  bool sgid = (attr_.mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP);
  if ((suid || sgid) && !creds.HasCap(CAP_FSETID)) {
    attr_.mode &= ~(S_ISUID | (sgid ? S_ISGID : 0));
    TouchCtime();
  }
}

void MemInode::CopyAttributes(const vfs::Stat& st) {
  attr_.mode = (attr_.mode & S_IFMT) | (st.mode & 07777);
  attr_.nlink = st.nlink;
  attr_.uid = st.uid;
  attr_.gid = st.gid;
  attr_.rdev = st.rdev;
  attr_.size = st.size;
  attr_.atime = st.atime;
  attr_.mtime = st.mtime;
  attr_.ctime = st.ctime;
  attr_.btime = st.btime;
}

// --- Symlinks and special files ---

SymlinkInode::SymlinkInode(std::shared_ptr<MemFs> fs, std::string target, uint32_t uid,
                           uint32_t gid, bool charged)
    : MemInode(std::move(fs), S_IFLNK | 0777, uid, gid, charged), target_(std::move(target)) {}

SysResult<std::string> SymlinkInode::Readlink() {
  if (lower_) {
    target_ = TRY(lower_->Readlink());
    lower_.reset();
  }
  TouchAtime();
  return target_;
}

SysResult<std::shared_ptr<vfs::FileDescription>> SymlinkInode::Open(kernel::Task& task,
                                                                    const vfs::Path& path,
                                                                    int flags) {
  if (flags & O_PATH) return PathOnlyDescription(path, flags);
  return Err(Errno::kELOOP);
}

SpecialInode::SpecialInode(std::shared_ptr<MemFs> fs, uint32_t mode, uint64_t rdev, uint32_t uid,
                           uint32_t gid, bool charged)
    : MemInode(std::move(fs), mode, uid, gid, charged) {
  attr_.rdev = rdev;
}

SysResult<std::shared_ptr<vfs::FileDescription>> SpecialInode::Open(kernel::Task& task,
                                                                    const vfs::Path& path,
                                                                    int flags) {
  if (flags & O_PATH) return PathOnlyDescription(path, flags);
  // open(2): ENXIO for a socket or a device without a driver.
  if (type() == S_IFSOCK || !fs_->open_special()) return Err(Errno::kENXIO);
  return fs_->open_special()(task, path, flags, type() == S_IFIFO ? 0 : attr_.rdev);
}

std::shared_ptr<vfs::FileDescription> PathOnlyDescription(const vfs::Path& path, int flags) {
  return std::make_shared<vfs::FileDescription>(path, flags);
}

// --- Factories ---

std::shared_ptr<vfs::Inode> CreateMemFs(const MemFsOptions& options) {
  auto fs = std::make_shared<MemFs>(options);
  // The root counts against nr_inodes, as in tmpfs; any limit admits it.
  (void)fs->ChargeInode();
  return std::make_shared<DirInode>(fs, options.root_mode, options.root_uid, options.root_gid,
                                    true);
}

SysResult<std::shared_ptr<vfs::Inode>> CreateOverlayRoot(std::shared_ptr<vfs::Inode> lower_root,
                                                         const MemFsOptions& options) {
  if (!lower_root->IsDir()) return Err(Errno::kENOTDIR);
  auto fs = std::make_shared<MemFs>(options);
  std::shared_ptr<MemInode> root = TRY(fs->Wrap(std::move(lower_root), 0, nullptr));
  return std::shared_ptr<vfs::Inode>(std::move(root));
}

std::optional<Usage> UsageOf(const vfs::Inode& inode) {
  auto* mem = dynamic_cast<const MemInode*>(&inode);
  if (!mem) return std::nullopt;
  return mem->fs().usage();
}

// --- Mount options ---

namespace {

// memparse(): a number (0x hex, 0 octal) with an optional k/m/g/t/p/e suffix.
SysResult<uint64_t> ParseSize(std::string_view s, uint64_t total_memory, bool allow_percent) {
  int base = 10;
  if (s.starts_with("0x") || s.starts_with("0X")) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p == s.data()) return Err(Errno::kEINVAL);
  std::string_view rest(p, s.data() + s.size() - p);
  if (rest.empty()) return v;
  if (rest.size() != 1) return Err(Errno::kEINVAL);
  int shift = 0;
  switch (rest[0]) {
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    case 't': case 'T': shift = 40; break;
    case 'p': case 'P': shift = 50; break;
    case 'e': case 'E': shift = 60; break;
    case '%':
      if (!allow_percent) return Err(Errno::kEINVAL);
      return total_memory / 100 * v;
    default: return Err(Errno::kEINVAL);
  }
  if (v > (UINT64_MAX >> shift)) return Err(Errno::kEINVAL);
  return v << shift;
}

SysResult<uint32_t> ParseUint(std::string_view s, int base) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return Err(Errno::kEINVAL);
  return v;
}

}  // namespace

SysResult<MemFsOptions> ParseTmpfsOptions(std::string_view data, uint64_t total_memory) {
  MemFsOptions opts;
  opts.size_limit = total_memory / 2 / kPageSize * kPageSize;
  while (!data.empty()) {
    size_t comma = data.find(',');
    std::string_view opt = data.substr(0, comma);
    data = comma == std::string_view::npos ? std::string_view() : data.substr(comma + 1);
    if (opt.empty()) continue;
    size_t eq = opt.find('=');
    std::string_view key = opt.substr(0, eq);
    std::string_view val = eq == std::string_view::npos ? std::string_view() : opt.substr(eq + 1);
    if (key == "size") {
      uint64_t size = TRY(ParseSize(val, total_memory, true));
      opts.size_limit = (size + kPageSize - 1) / kPageSize * kPageSize;
    } else if (key == "nr_blocks") {
      opts.size_limit = TRY(ParseSize(val, total_memory, false)) * kPageSize;
    } else if (key == "nr_inodes") {
      opts.inode_limit = TRY(ParseSize(val, total_memory, false));
    } else if (key == "mode") {
      opts.root_mode = TRY(ParseUint(val, 8)) & 07777;
    } else if (key == "uid") {
      opts.root_uid = TRY(ParseUint(val, 10));
    } else if (key == "gid") {
      opts.root_gid = TRY(ParseUint(val, 10));
    } else if (key == "huge" || key == "mpol" || key == "inode32" || key == "inode64" ||
               key == "noswap") {
      // Memory policy hints without meaning in the sandbox.
    } else {
      return Err(Errno::kEINVAL);
    }
  }
  return opts;
}

}  // namespace bulwark::fsimpl::memfs

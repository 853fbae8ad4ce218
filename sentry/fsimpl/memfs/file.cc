// memfs regular files: page-granular data, and copy-up from a lower file.

#include <linux/falloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/log.h"

#include "sentry/fsimpl/memfs/inode.h"
#include "sentry/fsimpl/memfs/shmem.h"
#include "sentry/kernel/task.h"

namespace bulwark::fsimpl::memfs {

namespace {

// The first `n` bytes of `iov`.
std::vector<iovec> Prefix(vfs::IoVecs iov, uint64_t n) {
  std::vector<iovec> out;
  for (const iovec& v : iov) {
    if (n == 0) break;
    size_t len = std::min<uint64_t>(v.iov_len, n);
    out.push_back(iovec{v.iov_base, len});
    n -= len;
  }
  return out;
}

bool AllZero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i]) return false;
  return true;
}

class RegularFileDescription : public vfs::FileDescription {
 public:
  // `lower`: an open lower file for data not yet copied up (read-only opens).
  RegularFileDescription(const vfs::Path& path, int flags, std::shared_ptr<FileInode> inode,
                         std::shared_ptr<vfs::FileDescription> lower)
      : vfs::FileDescription(path, flags), inode_(std::move(inode)), lower_(std::move(lower)) {}

  SysResult<size_t> Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) override {
    if (vfs::TotalLength(dst) == 0) return 0;
    size_t n;
    if (off < inode_->lower_valid()) {
      if (!lower_) return Err(Errno::kEIO);
      std::vector<iovec> part = Prefix(dst, inode_->lower_valid() - off);
      n = TRY(lower_->Read(t, part, off));
    } else {
      n = inode_->ReadAt(dst, off);
    }
    inode_->TouchAtime();
    return n;
  }

  SysResult<size_t> Write(kernel::Task& t, vfs::IoVecs src, uint64_t off) override {
    if (inode_->seals() & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) return Err(Errno::kEPERM);
    if (flags() & O_APPEND) off = inode_->size();
    size_t n = TRY(inode_->WriteAt(src, off));
    if (n) inode_->KillSuid(t.creds());
    return n;
  }

  SysResult<uint64_t> Seek(kernel::Task& t, int64_t off, int whence) override {
    if (whence != SEEK_DATA && whence != SEEK_HOLE) return vfs::FileDescription::Seek(t, off, whence);
    if (off < 0) return Err(Errno::kENXIO);
    offset = TRY(inode_->SeekDataHole(static_cast<uint64_t>(off), whence == SEEK_DATA));
    return offset;
  }

  SysResult<vfs::Stat> GetStat() override { return inode_->GetStat(); }
  SysResult<void> SetStat(const vfs::SetStatRequest& req) override {
    return inode_->SetStat(req);
  }

  std::string AnonName() const override { return anon_name_; }

  const std::shared_ptr<FileInode>& inode() const { return inode_; }
  const std::shared_ptr<vfs::FileDescription>& lower() const { return lower_; }
  // memfd_create: the /proc/<pid>/fd name of a pathless description.
  void set_anon_name(std::string n) { anon_name_ = std::move(n); }

 private:
  std::string anon_name_ = "anon_inode:[unknown]";
  std::shared_ptr<FileInode> inode_;
  std::shared_ptr<vfs::FileDescription> lower_;
};

}  // namespace

FileInode::FileInode(std::shared_ptr<MemFs> fs, uint32_t mode, uint32_t uid, uint32_t gid,
                     bool charged)
    : MemInode(std::move(fs), S_IFREG | (mode & 07777), uid, gid, charged) {}

FileInode::~FileInode() { fs_->UnchargePages(pages_.size() + mapped_charged_); }

void FileInode::SetLower(std::shared_ptr<vfs::Inode> lower, const vfs::Stat& st) {
  lower_ = std::move(lower);
  size_ = lower_valid_ = st.size;
  lower_blocks_ = st.blocks;
}

namespace {

// Bytes of populated memory-file pages in [off, off+len) (SEEK_DATA walk).
uint64_t PopulatedBytes(const mm::MemoryFile& mf, uint64_t off, uint64_t len) {
  uint64_t n = 0, end = off + len;
  for (uint64_t pos = off; pos < end;) {
    off_t data = lseek(mf.fd(), static_cast<off_t>(pos), SEEK_DATA);
    if (data < 0 || static_cast<uint64_t>(data) >= end) break;
    off_t hole = lseek(mf.fd(), data, SEEK_HOLE);
    uint64_t stop = hole < 0 ? end : std::min<uint64_t>(end, static_cast<uint64_t>(hole));
    n += stop - static_cast<uint64_t>(data);
    pos = stop;
  }
  return n;
}

// Memory-file reservations for shared-mapped files start at this size, so
// that small files (POSIX semaphores, sqlite's -shm) never move.
constexpr uint64_t kMinReservation = 8 << 20;

// A shared-mapped file's memory: its mappings raise SIGBUS on pages past
// the file's size (mm::Vma::ValidEnd).
class FileBacking : public mm::Backing {
 public:
  FileBacking(mm::MemoryFile& mf, uint64_t off, uint64_t len, std::weak_ptr<vfs::Inode> inode)
      : mm::Backing(mf, off, len), inode_(std::move(inode)) {}
  uint64_t FileSize() const override {
    auto i = inode_.lock();
    return i ? static_cast<const FileInode&>(*i).size() : UINT64_MAX;
  }

 private:
  std::weak_ptr<vfs::Inode> inode_;
};

}  // namespace

uint64_t FileInode::Blocks() const {
  if (lower_valid_) return lower_blocks_;
  if (mapped()) return PopulatedBytes(*mf_, backing_->offset(), mm::PageUp(size_)) / 512;
  return pages_.size() * (kPageSize / 512);
}

uint8_t* FileInode::FindPage(uint64_t idx) const {
  if (mapped()) {
    if ((idx + 1) * kPageSize > backing_->len()) return nullptr;
    return mf_->At(backing_->offset() + idx * kPageSize);
  }
  auto it = pages_.find(idx);
  return it == pages_.end() ? nullptr : it->second->bytes;
}

SysResult<uint8_t*> FileInode::GetPage(uint64_t idx) {
  if (mapped()) {
    TRY(Reserve((idx + 1) * kPageSize));
    return FindPage(idx);
  }
  auto it = pages_.find(idx);
  if (it == pages_.end()) {
    TRY(fs_->ChargePages(1));
    it = pages_.emplace(idx, std::make_unique<Page>()).first;
  }
  return it->second->bytes;
}

void FileInode::DropPages(uint64_t first, uint64_t last) {
  if (first >= last) return;
  if (mapped()) {
    uint64_t cap = backing_->len() / kPageSize;
    last = std::min(last, cap);
    if (first < last)
      mf_->Decommit(backing_->offset() + first * kPageSize, (last - first) * kPageSize);
    return;
  }
  auto a = pages_.lower_bound(first), b = pages_.lower_bound(last);
  fs_->UnchargePages(std::distance(a, b));
  pages_.erase(a, b);
}

void FileInode::ZeroRange(uint64_t off, uint64_t len) {
  uint64_t end = off + len;
  uint64_t first_whole = (off + kPageSize - 1) / kPageSize, last_whole = end / kPageSize;
  bool whole_pages = first_whole < last_whole;
  if (whole_pages) DropPages(first_whole, last_whole);
  auto zero = [&](uint64_t from, uint64_t to) {
    for (uint64_t pos = from; pos < to;) {
      uint64_t in = pos % kPageSize;
      uint64_t n = std::min(to - pos, kPageSize - in);
      if (uint8_t* p = FindPage(pos / kPageSize)) std::memset(p + in, 0, n);
      pos += n;
    }
  };
  if (!whole_pages) {
    zero(off, end);
  } else {
    zero(off, first_whole * kPageSize);
    zero(last_whole * kPageSize, end);
  }
}

void FileInode::DropFrom(uint64_t size) {
  uint64_t first_dropped = (size + kPageSize - 1) / kPageSize;
  DropPages(first_dropped, UINT64_MAX / kPageSize);
  if (size % kPageSize) {
    if (uint8_t* last = FindPage(size / kPageSize)) {
      uint64_t in = size % kPageSize;
      std::memset(last + in, 0, kPageSize - in);
    }
  }
}

SysResult<void> FileInode::SetSize(uint64_t size) {
  if (mapped()) {
    uint64_t pages = mm::PageUp(size) / kPageSize;
    if (pages > mapped_charged_) {
      TRY(fs_->ChargePages(pages - mapped_charged_));
    } else {
      fs_->UnchargePages(mapped_charged_ - pages);
    }
    mapped_charged_ = pages;
  }
  bool pages_changed = mm::PageUp(size) != mm::PageUp(size_);
  size_ = size;
  // Mappings reach the pages within the new size only.
  if (mapped() && pages_changed) mm::MemoryManager::FileSizeChanged(*backing_);
  return {};
}

SysResult<void> FileInode::Reserve(uint64_t end) {
  end = mm::PageUp(end);
  if (end <= backing_->len()) return {};
  // The reservation is one contiguous memory-file range, so growing it
  // means moving the data. Mappings made before keep the old range: from
  // then on they no longer share pages with the file. Reservations start
  // large and double, so in practice only files grown far while mapped
  // (rare; never the small files of semaphores) move.
  uint64_t len = std::max(end, backing_->len() * 2);
  uint64_t off = TRY(mf_->Allocate(len));
  auto moved = std::make_shared<FileBacking>(*mf_, off, len, weak_from_this());
  mf_->CopyPopulated(backing_->offset(), off, backing_->len());
  LOG_WARN("memfs: file %lu grew past its shared-memory reservation; moved (existing shared "
           "mappings no longer follow it)", static_cast<unsigned long>(ino()));
  backing_ = std::move(moved);
  return {};
}

SysResult<std::shared_ptr<mm::Backing>> FileInode::SharedBacking(mm::MemoryFile& mf,
                                                                 uint64_t end) {
  if (!mapped()) {
    uint64_t need = std::max(mm::PageUp(std::max(end, size_)), kPageSize);
    // Pages allocated past the size (fallocate KEEP_SIZE) move too.
    if (!pages_.empty()) need = std::max(need, (pages_.rbegin()->first + 1) * kPageSize);
    uint64_t len = std::max(kMinReservation, need * 2);
    uint64_t pages = mm::PageUp(size_) / kPageSize;
    // Charge by size from now on (see inode.h).
    if (pages > pages_.size()) TRY(fs_->ChargePages(pages - pages_.size()));
    else fs_->UnchargePages(pages_.size() - pages);
    uint64_t off = TRY(mf.Allocate(len));
    auto backing = std::make_shared<FileBacking>(mf, off, len, weak_from_this());
    for (auto& [idx, page] : pages_) {
      if (!AllZero(page->bytes, kPageSize)) std::memcpy(mf.At(off + idx * kPageSize), page->bytes, kPageSize);
    }
    pages_.clear();
    mapped_charged_ = pages;
    mf_ = &mf;
    backing_ = std::move(backing);
  }
  TRY(Reserve(end));
  return backing_;
}

SysResult<void> FileInode::Truncate(uint64_t size) {
  if (size < size_ && (seals_ & F_SEAL_SHRINK)) return Err(Errno::kEPERM);
  if (size > size_ && (seals_ & F_SEAL_GROW)) return Err(Errno::kEPERM);
  if (size < size_) {
    DropFrom(size);
    lower_valid_ = std::min(lower_valid_, size);
  }
  return SetSize(size);
}

SysResult<void> FileInode::Allocate(int mode, uint64_t off, uint64_t len) {
  if (off > kMaxFileSize || len > kMaxFileSize - off) return Err(Errno::kEFBIG);
  uint64_t end = off + len;
  bool keep_size = (mode & FALLOC_FL_KEEP_SIZE) != 0;
  if (mode & FALLOC_FL_PUNCH_HOLE) {
    if (seals_ & F_SEAL_WRITE) return Err(Errno::kEPERM);
    if (off < size_) ZeroRange(off, std::min(end, size_) - off);
    TouchMtime();
    return {};
  }
  if (!keep_size && end > size_ && (seals_ & F_SEAL_GROW)) return Err(Errno::kEPERM);
  if (mode & FALLOC_FL_ZERO_RANGE) {
    if (seals_ & F_SEAL_WRITE) return Err(Errno::kEPERM);
    if (off < size_) ZeroRange(off, std::min(end, size_) - off);
  } else {
    // Mode 0: allocate the pages, as shmem_fallocate() does; each allocated
    // page counts against the size limit (ENOSPC, undone on failure).
    if (!mapped()) {
      uint64_t first = off / kPageSize, last = (end + kPageSize - 1) / kPageSize;
      uint64_t missing = 0;
      for (uint64_t i = first; i < last; ++i) missing += pages_.count(i) ? 0 : 1;
      TRY(fs_->ChargePages(missing));
      fs_->UnchargePages(missing);
      for (uint64_t i = first; i < last; ++i) TRY(GetPage(i));
    } else {
      TRY(Reserve(end));
    }
  }
  if (!keep_size && end > size_) TRY(SetSize(end));
  TouchCtime();
  return {};
}

SysResult<uint64_t> FileInode::SeekDataHole(uint64_t off, bool data) const {
  if (off >= size_) return Err(Errno::kENXIO);
  if (off < lower_valid_) return data ? off : lower_valid_;  // lower data: no holes known
  uint64_t pos = off;
  while (pos < size_) {
    bool present = FindPage(pos / kPageSize) != nullptr;
    if (present && mapped()) {
      uint64_t at = backing_->offset() + (pos / kPageSize) * kPageSize;
      present = PopulatedBytes(*mf_, at, kPageSize) > 0;
    }
    if (present == data) return std::max(off, pos);
    pos = (pos / kPageSize + 1) * kPageSize;
  }
  return data ? SysResult<uint64_t>(Err(Errno::kENXIO)) : SysResult<uint64_t>(size_);
}

size_t FileInode::ReadAt(vfs::IoVecs dst, uint64_t off) {
  if (off >= size_) return 0;
  const uint64_t end = off + std::min<uint64_t>(vfs::TotalLength(dst), size_ - off);
  uint64_t pos = off;
  for (const iovec& v : dst) {
    auto* p = static_cast<uint8_t*>(v.iov_base);
    size_t left = v.iov_len;
    while (left && pos < end) {
      uint64_t in = pos % kPageSize;
      size_t n = std::min<uint64_t>({left, kPageSize - in, end - pos});
      if (const uint8_t* page = FindPage(pos / kPageSize)) {
        std::memcpy(p, page + in, n);
      } else {
        std::memset(p, 0, n);
      }
      p += n;
      left -= n;
      pos += n;
    }
    if (pos == end) break;
  }
  return pos - off;
}

SysResult<size_t> FileInode::WriteAt(vfs::IoVecs src, uint64_t off) {
  uint64_t len = vfs::TotalLength(src);
  if (len == 0) return 0;
  if (off >= kMaxFileSize) return Err(Errno::kEFBIG);
  uint64_t end = off + std::min(len, kMaxFileSize - off);
  if (mapped() && end > size_) {
    // Charge the growth first; a short write when the limit is reached.
    if (!SetSize(end)) end = std::max(off, std::min(end, mapped_charged_ * kPageSize));
    if (end == off) return Err(Errno::kENOSPC);
  }
  uint64_t pos = off;
  for (const iovec& v : src) {
    auto* p = static_cast<const uint8_t*>(v.iov_base);
    size_t left = v.iov_len;
    while (left && pos < end) {
      uint64_t in = pos % kPageSize;
      size_t n = std::min<uint64_t>({left, kPageSize - in, end - pos});
      auto page = GetPage(pos / kPageSize);
      if (!page) goto out;
      std::memcpy(*page + in, p, n);
      p += n;
      left -= n;
      pos += n;
    }
    if (pos == end) break;
  }
out:
  if (pos == off) return Err(Errno::kENOSPC);
  if (pos > size_) (void)SetSize(pos);
  TouchMtime();
  return pos - off;
}

SysResult<void> FileInode::CopyUp(kernel::Task& task, const vfs::Path& path) {
  if (lower_valid_ == 0) return {};
  // Reading the lower file may release the kernel lock (gofer I/O), so the
  // data is staged and installed only if no other copy-up won meanwhile;
  // a concurrent truncate is applied to the staged pages.
  std::shared_ptr<vfs::Inode> lower = lower_;
  std::shared_ptr<vfs::FileDescription> in = TRY(lower->Open(task, path, O_RDONLY));
  std::map<uint64_t, std::unique_ptr<Page>> staged;
  constexpr size_t kChunk = 64 * 1024;
  std::vector<uint8_t> buf(kChunk);
  uint64_t pos = 0;
  while (pos < lower_valid_) {
    iovec iov{buf.data(), std::min<uint64_t>(kChunk, lower_valid_ - pos)};
    size_t n = TRY(in->Read(task, vfs::IoVecs(&iov, 1), pos));
    if (n == 0) break;  // the lower file shrank: the rest reads as zeros
    for (size_t done = 0; done < n;) {
      uint64_t at = pos + done, page_in = at % kPageSize;
      size_t chunk = std::min<uint64_t>(n - done, kPageSize - page_in);
      if (!AllZero(buf.data() + done, chunk)) {
        auto& page = staged[at / kPageSize];
        if (!page) page = std::make_unique<Page>();
        std::memcpy(page->bytes + page_in, buf.data() + done, chunk);
      }
      done += chunk;
    }
    pos += n;
  }
  if (lower_valid_ == 0) return {};
  uint64_t limit = lower_valid_;
  staged.erase(staged.lower_bound((limit + kPageSize - 1) / kPageSize), staged.end());
  if (limit % kPageSize) {
    if (auto last = staged.find(limit / kPageSize); last != staged.end())
      std::memset(last->second->bytes + limit % kPageSize, 0, kPageSize - limit % kPageSize);
  }
  TRY(fs_->ChargePages(staged.size()));
  // Nothing can have been written: writers copy up before their first write.
  fs_->UnchargePages(pages_.size());
  pages_ = std::move(staged);
  lower_valid_ = 0;
  lower_.reset();
  return {};
}

SysResult<std::shared_ptr<vfs::FileDescription>> FileInode::Open(kernel::Task& task,
                                                                 const vfs::Path& path,
                                                                 int flags) {
  if (flags & O_PATH) return PathOnlyDescription(path, flags);
  auto self = std::static_pointer_cast<FileInode>(shared_from_this());
  std::shared_ptr<vfs::FileDescription> lower;
  if ((flags & O_ACCMODE) != O_RDONLY) {
    TRY(CopyUp(task, path));
  } else if (lower_valid_ > 0) {
    lower = TRY(lower_->Open(task, path, O_RDONLY));
  }
  return std::shared_ptr<vfs::FileDescription>(
      std::make_shared<RegularFileDescription>(path, flags, std::move(self), std::move(lower)));
}


// --- shmem.h ---

namespace {

RegularFileDescription* AsMemFile(vfs::FileDescription& f) {
  return dynamic_cast<RegularFileDescription*>(&f);
}

// The filesystem memfd inodes belong to (Linux: the internal shm_mnt).
// Never mounted; guarded by the kernel lock.
std::shared_ptr<MemFs> MemfdFs() {
  static std::shared_ptr<MemFs> fs = std::make_shared<MemFs>(MemFsOptions{});
  return fs;
}

constexpr int kAllSeals =
    F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;

}  // namespace

bool IsMemFile(const vfs::FileDescription& f) {
  return dynamic_cast<const RegularFileDescription*>(&f) != nullptr;
}

SysResult<void> Fallocate(kernel::Task& t, vfs::FileDescription& f, int mode, uint64_t off,
                          uint64_t len) {
  RegularFileDescription* m = AsMemFile(f);
  if (m == nullptr) return Err(Errno::kEOPNOTSUPP);
  // Writable descriptions copied up at open.
  if (m->inode()->lower_valid()) TRY(m->inode()->CopyUp(t, f.path()));
  return m->inode()->Allocate(mode, off, len);
}

std::shared_ptr<vfs::FileDescription> UncopiedLowerOf(vfs::FileDescription& f) {
  RegularFileDescription* m = AsMemFile(f);
  if (m == nullptr || !m->lower() || m->inode()->lower_valid() != m->inode()->size())
    return nullptr;
  return m->lower();
}

SysResult<std::shared_ptr<mm::Backing>> SharedBackingOf(kernel::Task& t, vfs::FileDescription& f,
                                                        mm::MemoryFile& mf, uint64_t end) {
  RegularFileDescription* m = AsMemFile(f);
  if (m == nullptr) return Err(Errno::kENODEV);
  if (m->inode()->lower_valid()) TRY(m->inode()->CopyUp(t, f.path()));
  return m->inode()->SharedBacking(mf, end);
}

SysResult<std::shared_ptr<vfs::FileDescription>> CreateMemfd(kernel::Task& t,
                                                             const std::string& name,
                                                             bool allow_sealing) {
  auto inode = std::make_shared<FileInode>(MemfdFs(), 0777, t.creds().fsuid, t.creds().fsgid,
                                           false);
  if (allow_sealing) inode->set_seals(0);
  auto d = std::make_shared<RegularFileDescription>(vfs::Path{}, O_RDWR | O_LARGEFILE, inode,
                                                    nullptr);
  d->set_anon_name("/memfd:" + name + " (deleted)");
  return std::shared_ptr<vfs::FileDescription>(std::move(d));
}

SysResult<std::shared_ptr<vfs::FileDescription>> OpenTmpfile(kernel::Task& t, const vfs::Path& dir,
                                                             uint32_t mode, int flags) {
  auto* d = dynamic_cast<DirInode*>(&dir.ino());
  if (d == nullptr) return Err(Errno::kEOPNOTSUPP);
  std::shared_ptr<MemInode> inode = TRY(d->CreateTmpfile(mode, t.creds(), !(flags & O_EXCL)));
  std::string name = "#" + std::to_string(inode->ino());
  std::shared_ptr<vfs::Dentry> dentry;
  if (dir.dentry->CachedChild(name)) {
    // A real entry has that name: an unlisted dentry (shown without
    // " (deleted)").
    dentry = std::make_shared<vfs::Dentry>(name, dir.dentry, inode);
  } else {
    dentry = dir.dentry->AddChild(name, inode);
    dir.dentry->RemoveChild(name);  // marks it dead: "(deleted)"
  }
  vfs::Path p{dir.mount, dentry};
  return inode->Open(t, p, flags & ~(O_CREAT | O_EXCL | O_CLOEXEC | O_TMPFILE | O_NOFOLLOW));
}

std::shared_ptr<vfs::Inode> MemFileInode(vfs::FileDescription& f) {
  RegularFileDescription* m = AsMemFile(f);
  if (m == nullptr) return nullptr;
  return m->inode();
}

SysResult<int> GetSeals(vfs::FileDescription& f) {
  RegularFileDescription* m = AsMemFile(f);
  if (m == nullptr) return Err(Errno::kEINVAL);
  return m->inode()->seals();
}

SysResult<void> AddSeals(vfs::FileDescription& f, int seals) {
  RegularFileDescription* m = AsMemFile(f);
  if (m == nullptr) return Err(Errno::kEINVAL);
  if (!f.Writable()) return Err(Errno::kEPERM);
  if (seals & ~kAllSeals) return Err(Errno::kEINVAL);
  int cur = m->inode()->seals();
  if (cur & F_SEAL_SEAL) return Err(Errno::kEPERM);
  // Deliberate difference: Linux fails F_SEAL_WRITE with EBUSY while
  // writable shared mappings exist; mappings are not tracked per file here.
  m->inode()->set_seals(cur | seals);
  return {};
}

}  // namespace bulwark::fsimpl::memfs

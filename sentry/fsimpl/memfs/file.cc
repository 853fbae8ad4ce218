// memfs regular files: page-granular data, and copy-up from a lower file.

#include <algorithm>
#include <cstring>

#include "sentry/fsimpl/memfs/inode.h"
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
    if (flags() & O_APPEND) off = inode_->size();
    size_t n = TRY(inode_->WriteAt(src, off));
    if (n) inode_->KillSuid(t.creds());
    return n;
  }

  SysResult<vfs::Stat> GetStat() override { return inode_->GetStat(); }
  SysResult<void> SetStat(const vfs::SetStatRequest& req) override {
    return inode_->SetStat(req);
  }

 private:
  std::shared_ptr<FileInode> inode_;
  std::shared_ptr<vfs::FileDescription> lower_;
};

}  // namespace

FileInode::FileInode(std::shared_ptr<MemFs> fs, uint32_t mode, uint32_t uid, uint32_t gid,
                     bool charged)
    : MemInode(std::move(fs), S_IFREG | (mode & 07777), uid, gid, charged) {}

FileInode::~FileInode() { fs_->UnchargePages(pages_.size()); }

void FileInode::SetLower(std::shared_ptr<vfs::Inode> lower, const vfs::Stat& st) {
  lower_ = std::move(lower);
  size_ = lower_valid_ = st.size;
  lower_blocks_ = st.blocks;
}

uint64_t FileInode::Blocks() const {
  return lower_valid_ ? lower_blocks_ : pages_.size() * (kPageSize / 512);
}

void FileInode::DropFrom(uint64_t size) {
  uint64_t first_dropped = (size + kPageSize - 1) / kPageSize;
  auto it = pages_.lower_bound(first_dropped);
  fs_->UnchargePages(std::distance(it, pages_.end()));
  pages_.erase(it, pages_.end());
  if (size % kPageSize) {
    if (auto last = pages_.find(size / kPageSize); last != pages_.end()) {
      uint64_t in = size % kPageSize;
      std::memset(last->second->bytes + in, 0, kPageSize - in);
    }
  }
}

SysResult<void> FileInode::Truncate(uint64_t size) {
  if (size < size_) {
    DropFrom(size);
    lower_valid_ = std::min(lower_valid_, size);
  }
  size_ = size;
  return {};
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
      auto it = pages_.find(pos / kPageSize);
      if (it == pages_.end()) {
        std::memset(p, 0, n);
      } else {
        std::memcpy(p, it->second->bytes + in, n);
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
  const uint64_t end = off + std::min(len, kMaxFileSize - off);
  uint64_t pos = off;
  for (const iovec& v : src) {
    auto* p = static_cast<const uint8_t*>(v.iov_base);
    size_t left = v.iov_len;
    while (left && pos < end) {
      uint64_t in = pos % kPageSize;
      size_t n = std::min<uint64_t>({left, kPageSize - in, end - pos});
      auto it = pages_.find(pos / kPageSize);
      if (it == pages_.end()) {
        if (!fs_->ChargePages(1)) goto out;
        it = pages_.emplace(pos / kPageSize, std::make_unique<Page>()).first;
      }
      std::memcpy(it->second->bytes + in, p, n);
      p += n;
      left -= n;
      pos += n;
    }
    if (pos == end) break;
  }
out:
  if (pos == off) return Err(Errno::kENOSPC);
  size_ = std::max(size_, pos);
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

}  // namespace bulwark::fsimpl::memfs

#include "sentry/mm/mm.h"

#include <cstring>
#include <set>

#include "base/log.h"

namespace bulwark::mm {

namespace {
constexpr uint64_t kDefaultMmapBase = 0x7fe000000000;

// Every MemoryManager, for FileSizeChanged (a reverse map by scanning:
// size changes of mapped files are rare). Guarded by the kernel lock.
std::set<MemoryManager*>& AllMms() {
  static auto* all = new std::set<MemoryManager*>();
  return *all;
}
}  // namespace

uint64_t Vma::ValidEnd() const {
  uint64_t limit, off;  // file offset of the end of the file's pages; of `start`
  if (shared || file_pages) {
    uint64_t size = backing->FileSize();
    if (size == UINT64_MAX) return end;
    limit = PageUp(size);
    off = backing_offset;
  } else {
    if (file_size == UINT64_MAX) return end;
    limit = PageUp(file_size);
    off = file_offset;
  }
  if (off >= limit) return start;
  return limit - off >= end - start ? end : start + (limit - off);
}

MemoryManager::MemoryManager(MemoryFile& mf, platform::Platform& platform)
    : mf_(mf), platform_(platform) {
  auto caps = platform.Caps();
  min_addr_ = caps.min_user_address;
  max_addr_ = caps.max_user_address;
  mmap_base = std::min(kDefaultMmapBase, max_addr_);
  AllMms().insert(this);
}

MemoryManager::~MemoryManager() { AllMms().erase(this); }

const Vma* MemoryManager::FindVma(uint64_t addr) const {
  auto it = vmas_.upper_bound(addr);
  if (it == vmas_.begin()) return nullptr;
  --it;
  return addr < it->second.end ? &it->second : nullptr;
}

uint64_t MemoryManager::VirtualSize() const {
  uint64_t n = 0;
  for (auto& [start, v] : vmas_) n += v.end - v.start;
  return n;
}

void MemoryManager::MapIntoPlatform(const Vma& v, bool unmap_rest) {
  if (!as_) return;
  // Pages past the end of the file stay unmapped: touching them faults into
  // the sentry, which raises SIGBUS (FaultIsSigbus).
  uint64_t valid = v.ValidEnd();
  if (valid > v.start) {
    auto r = as_->MapFile(v.start, valid - v.start, v.FileOffsetOf(v.start), v.prot);
    if (!r) LOG_WARN("platform MapFile(%#lx, %#lx): %s", v.start, valid - v.start, ErrnoName(r.error()));
  }
  if (unmap_rest && valid < v.end) {
    auto r = as_->Unmap(valid, v.end - valid);
    if (!r) LOG_WARN("platform Unmap(%#lx, %#lx): %s", valid, v.end - valid, ErrnoName(r.error()));
  }
}

void MemoryManager::Insert(Vma vma) {
  uint64_t start = vma.start;
  auto [it, ok] = vmas_.emplace(start, std::move(vma));
  MapIntoPlatform(it->second);
}

void MemoryManager::SplitAt(uint64_t addr) {
  auto it = vmas_.upper_bound(addr);
  if (it == vmas_.begin()) return;
  --it;
  Vma& v = it->second;
  if (addr <= v.start || addr >= v.end) return;
  Vma tail = v;
  tail.start = addr;
  tail.backing_offset = v.backing_offset + (addr - v.start);
  if (!tail.name.empty() && tail.name[0] != '[') tail.file_offset += addr - v.start;
  v.end = addr;
  vmas_.emplace(addr, std::move(tail));
}

void MemoryManager::RemoveRange(uint64_t start, uint64_t end) {
  SplitAt(start);
  SplitAt(end);
  bool any = false;
  for (auto it = vmas_.lower_bound(start); it != vmas_.end() && it->first < end;) {
    Vma& v = it->second;
    // Private backing ranges are referenced by this mm only (fork copies
    // them), so the removed part's pages can go now.
    if (!v.shared && !v.file_pages) mf_.Decommit(v.FileOffsetOf(v.start), v.end - v.start);
    it = vmas_.erase(it);
    any = true;
  }
  if (any && as_) {
    auto r = as_->Unmap(start, end - start);
    if (!r) LOG_WARN("platform Unmap(%#lx, %#lx): %s", start, end - start, ErrnoName(r.error()));
  }
}

SysResult<uint64_t> MemoryManager::FindFree(uint64_t hint, uint64_t len) const {
  auto is_free = [&](uint64_t a) {
    if (a < min_addr_ || a + len > max_addr_ || a + len < a) return false;
    auto it = vmas_.lower_bound(a);
    if (it != vmas_.end() && it->first < a + len) return false;
    if (it != vmas_.begin() && std::prev(it)->second.end > a) return false;
    return true;
  };
  if (hint != 0 && is_free(PageDown(hint))) return PageDown(hint);
  // Top-down below mmap_base, as Linux's default layout.
  uint64_t top = mmap_base;
  for (auto it = vmas_.rbegin(); it != vmas_.rend(); ++it) {
    const Vma& v = it->second;
    if (v.start >= top) continue;
    if (v.end <= top && top - v.end >= len) return top - len;
    top = v.start;
  }
  if (top >= min_addr_ + len) return top - len;
  // Then bottom-up above mmap_base.
  uint64_t a = mmap_base;
  for (auto it = vmas_.lower_bound(mmap_base); it != vmas_.end(); ++it) {
    if (it->first >= a + len) break;
    a = std::max(a, it->second.end);
  }
  if (is_free(a)) return a;
  return Err(Errno::kENOMEM);
}

SysResult<uint64_t> MemoryManager::Map(const MapRequest& req) {
  uint64_t len = PageUp(req.len);
  if (len == 0 || len < req.len) return Err(Errno::kENOMEM);
  uint64_t addr;
  if (req.fixed || req.fixed_noreplace) {
    addr = req.addr;
    if (addr % kPageSize != 0) return Err(Errno::kEINVAL);
    if (addr < min_addr_ || addr + len > max_addr_ || addr + len < addr)
      return Err(req.fixed ? Errno::kENOMEM : Errno::kEPERM);
    if (req.fixed_noreplace) {
      auto it = vmas_.lower_bound(addr);
      bool overlap = (it != vmas_.end() && it->first < addr + len) ||
                     (it != vmas_.begin() && std::prev(it)->second.end > addr);
      if (overlap) return Err(Errno::kEEXIST);
    }
    RemoveRange(addr, addr + len);
  } else {
    addr = TRY(FindFree(req.addr, len));
  }
  Vma v;
  if (req.backing) {
    v.backing = req.backing;
    v.backing_offset = req.backing_offset;
  } else {
    uint64_t off = TRY(mf_.Allocate(len));
    v.backing = std::make_shared<Backing>(mf_, off, len);
  }
  v.start = addr;
  v.end = addr + len;
  v.prot = req.prot;
  v.shared = req.shared;
  v.file_pages = req.backing && !req.shared;
  v.maywrite = req.maywrite;
  v.mayexec = req.mayexec;
  v.growsdown = req.growsdown;
  v.name = req.name;
  v.file_offset = req.file_offset;
  v.dev = req.dev;
  v.ino = req.ino;
  v.file_size = req.file_size;
  Insert(std::move(v));
  return addr;
}

SysResult<void> MemoryManager::Unmap(uint64_t addr, uint64_t len) {
  if (addr % kPageSize != 0 || len == 0) return Err(Errno::kEINVAL);
  uint64_t end = addr + PageUp(len);
  if (end < addr || end > max_addr_) return Err(Errno::kEINVAL);
  RemoveRange(addr, end);
  return {};
}

SysResult<void> MemoryManager::Protect(uint64_t addr, uint64_t len, int prot,
                                       bool read_implies_exec) {
  auto prot_of = [&](const Vma& v) {
    return read_implies_exec && (prot & PROT_READ) && v.mayexec ? prot | PROT_EXEC : prot;
  };
  if (addr % kPageSize != 0) return Err(Errno::kEINVAL);
  uint64_t end = addr + PageUp(len);
  if (end < addr) return Err(Errno::kENOMEM);
  if (end == addr) return {};
  // The whole range must be mapped (mprotect(2): ENOMEM), and writable or
  // executable where PROT_WRITE or PROT_EXEC is asked for (EACCES).
  for (uint64_t a = addr; a < end;) {
    const Vma* v = FindVma(a);
    if (v == nullptr) return Err(Errno::kENOMEM);
    if ((prot & PROT_WRITE) && !v->maywrite) return Err(Errno::kEACCES);
    if ((prot & PROT_EXEC) && !v->mayexec) return Err(Errno::kEACCES);
    a = v->end;
  }
  SplitAt(addr);
  SplitAt(end);
  for (auto it = vmas_.lower_bound(addr); it != vmas_.end() && it->first < end; ++it) {
    Vma& v = it->second;
    v.prot = prot_of(v);
    if (v.file_pages && (prot & PROT_WRITE)) {
      // Eager copy-on-write: the VMA gets its own pages, mapped anew.
      TRY(CopyOnWrite(v));
      MapIntoPlatform(v);
      continue;
    }
    // Only the pages within the file are mapped in the platform.
    uint64_t valid = v.ValidEnd();
    if (as_ && valid > v.start) {
      auto r = as_->Protect(v.start, valid - v.start, v.prot);
      if (!r) return Err(r.error());
    }
  }
  return {};
}

SysResult<void> MemoryManager::CopyOnWrite(Vma& v) {
  uint64_t len = v.end - v.start;
  uint64_t off = TRY(mf_.Allocate(len));
  // Pages past the file's end stay holes (zero) in the copy, as its tail.
  uint64_t valid = v.ValidEnd();
  if (valid > v.start) mf_.CopyPopulated(v.FileOffsetOf(v.start), off, valid - v.start);
  v.file_size = v.backing->FileSize();
  v.file_offset = v.backing_offset;
  v.backing = std::make_shared<Backing>(mf_, off, len);
  v.backing_offset = 0;
  v.file_pages = false;
  return {};
}

SysResult<void> MemoryManager::Sync(uint64_t addr, uint64_t len) {
  uint64_t end = addr + PageUp(len);
  if (end < addr) return Err(Errno::kENOMEM);
  for (uint64_t a = addr; a < end;) {
    const Vma* v = FindVma(a);
    if (v == nullptr) return Err(Errno::kENOMEM);
    a = v->end;
  }
  for (uint64_t a = addr; a < end;) {
    const Vma* v = FindVma(a);
    uint64_t stop = std::min(end, v->end);
    if (v->shared) TRY(v->backing->Sync(v->backing_offset + (a - v->start), stop - a));
    a = stop;
  }
  return {};
}

bool MemoryManager::FaultIsSigbus(uint64_t addr) const {
  const Vma* v = FindVma(addr);
  // A PROT_NONE page is an access error (SIGSEGV) before it is a fault.
  return v != nullptr && v->prot != PROT_NONE && addr >= v->ValidEnd();
}

void MemoryManager::FileSizeChanged(const Backing& backing) {
  for (MemoryManager* mm : AllMms()) {
    if (!mm->as_) continue;
    for (auto& [start, v] : mm->vmas_)
      if ((v.shared || v.file_pages) && v.backing.get() == &backing)
        mm->MapIntoPlatform(v, /*unmap_rest=*/true);
  }
}

SysResult<void> MemoryManager::SetForkAdvice(uint64_t addr, uint64_t len, int advice) {
  uint64_t end = addr + PageUp(len);
  for (uint64_t a = addr; a < end;) {
    const Vma* v = FindVma(a);
    if (v == nullptr) return Err(Errno::kENOMEM);
    // WIPEONFORK: private anonymous memory only (madvise_vma_behavior()).
    if (advice == MADV_WIPEONFORK && (v->shared || (!v->name.empty() && v->name[0] != '[')))
      return Err(Errno::kEINVAL);
    a = v->end;
  }
  SplitAt(addr);
  SplitAt(end);
  for (auto it = vmas_.lower_bound(addr); it != vmas_.end() && it->first < end; ++it) {
    Vma& v = it->second;
    switch (advice) {
      case MADV_DONTFORK: v.dontfork = true; break;
      case MADV_DOFORK: v.dontfork = false; break;
      case MADV_WIPEONFORK: v.wipeonfork = true; break;
      case MADV_KEEPONFORK: v.wipeonfork = false; break;
    }
  }
  return {};
}

SysResult<uint64_t> MemoryManager::Remap(uint64_t old_addr, uint64_t old_len, uint64_t new_len,
                                         int flags, uint64_t new_addr) {
  if (old_addr % kPageSize != 0) return Err(Errno::kEINVAL);
  if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) return Err(Errno::kEINVAL);
  if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) return Err(Errno::kEINVAL);
  if (flags & MREMAP_DONTUNMAP) return Err(Errno::kEINVAL);  // TODO(#4): MREMAP_DONTUNMAP
  old_len = PageUp(old_len);
  new_len = PageUp(new_len);
  if (new_len == 0) return Err(Errno::kEINVAL);
  const Vma* v = FindVma(old_addr);
  if (v == nullptr || (old_len != 0 && old_addr + old_len > v->end)) return Err(Errno::kEFAULT);
  if (old_len == 0) return Err(Errno::kEINVAL);  // duplicating shared mappings: unsupported
  if (!(flags & MREMAP_FIXED)) {
    if (new_len <= old_len) {
      if (new_len < old_len) RemoveRange(old_addr + new_len, old_addr + old_len);
      return old_addr;
    }
    // Grow in place when the following range is free.
    uint64_t ext = old_addr + old_len;
    auto next = vmas_.lower_bound(ext);
    bool room = ext + (new_len - old_len) <= max_addr_ &&
                (next == vmas_.end() || next->first >= old_addr + new_len);
    if (room && old_addr + old_len == v->end) {
      MapRequest r;
      r.addr = ext;
      r.len = new_len - old_len;
      r.prot = v->prot;
      r.fixed = true;
      r.shared = v->shared;
      r.maywrite = v->maywrite;
      r.mayexec = v->mayexec;
      r.name = v->name;
      // A shared mapping of a file's memory (memfs/shmem.h) keeps mapping
      // that memory when its range is long enough.
      uint64_t ext_off = v->backing_offset + (ext - v->start);
      if (v->shared && ext_off + r.len <= v->backing->len()) {
        r.backing = v->backing;
        r.backing_offset = ext_off;
        r.file_offset = v->file_offset + (ext - v->start);
        r.dev = v->dev;
        r.ino = v->ino;
      }
      TRY(Map(r));
      return old_addr;
    }
    if (!(flags & MREMAP_MAYMOVE)) return Err(Errno::kENOMEM);
  } else {
    if (new_addr % kPageSize != 0) return Err(Errno::kEINVAL);
    if (new_addr < old_addr + old_len && old_addr < new_addr + new_len) return Err(Errno::kEINVAL);
  }
  if (v->shared) {
    // A shared mapping moves by mapping the same memory elsewhere, when
    // its range covers the new length (memfs files' reservations do; a
    // shared anonymous or SysV range of exactly the old size cannot grow).
    uint64_t off = v->backing_offset + (old_addr - v->start);
    if (off + new_len > v->backing->len()) return Err(Errno::kEINVAL);  // TODO(#4)
    Vma old = *v;
    MapRequest r;
    r.addr = new_addr;
    r.len = new_len;
    r.prot = old.prot;
    r.fixed = (flags & MREMAP_FIXED) != 0;
    r.shared = true;
    r.maywrite = old.maywrite;
    r.mayexec = old.mayexec;
    r.backing = old.backing;
    r.backing_offset = off;
    r.name = old.name;
    r.file_offset = old.file_offset + (old_addr - old.start);
    r.dev = old.dev;
    r.ino = old.ino;
    uint64_t dst = TRY(Map(r));
    RemoveRange(old_addr, old_addr + old_len);
    return dst;
  }
  // Move: a new private region holding a copy of the old contents.
  Vma old = *v;
  MapRequest r;
  r.addr = new_addr;
  r.len = new_len;
  r.prot = old.prot;
  r.fixed = (flags & MREMAP_FIXED) != 0;
  r.name = old.name;
  r.file_offset = old.file_offset + (old_addr - old.start);
  r.dev = old.dev;
  r.ino = old.ino;
  r.file_size = old.file_pages ? old.backing->FileSize() : old.file_size;
  uint64_t dst = TRY(Map(r));
  const Vma* nv = FindVma(dst);
  mf_.CopyPopulated(old.FileOffsetOf(old_addr), nv->FileOffsetOf(dst), std::min(old_len, new_len));
  RemoveRange(old_addr, old_addr + old_len);
  return dst;
}

uint64_t MemoryManager::Brk(uint64_t addr) {
  if (addr < brk_base_) return brk_;
  uint64_t old_end = PageUp(brk_), new_end = PageUp(addr);
  if (new_end > old_end) {
    MapRequest r;
    r.addr = old_end;
    r.len = new_end - old_end;
    r.prot = PROT_READ | PROT_WRITE;
    r.fixed_noreplace = true;
    r.name = "[heap]";
    if (!Map(r)) return brk_;
  } else if (new_end < old_end) {
    RemoveRange(new_end, old_end);
  }
  brk_ = addr;
  return brk_;
}

namespace {

bool Allowed(const Vma& v, bool write) {
  return write ? (v.prot & PROT_WRITE) != 0 : (v.prot & PROT_READ) != 0;
}

}  // namespace

SysResult<std::vector<iovec>> MemoryManager::Translate(uint64_t addr, size_t len,
                                                       bool write) const {
  std::vector<iovec> out;
  uint64_t a = addr;
  uint64_t end = addr + len;
  if (end < addr) return Err(Errno::kEFAULT);
  while (a < end) {
    const Vma* v = FindVma(a);
    if (v == nullptr || !Allowed(*v, write)) break;
    uint64_t stop = std::min(end, v->end);
    uint8_t* p = mf_.At(v->FileOffsetOf(a));
    if (!out.empty() && static_cast<uint8_t*>(out.back().iov_base) + out.back().iov_len == p)
      out.back().iov_len += stop - a;
    else
      out.push_back(iovec{p, stop - a});
    a = stop;
  }
  if (out.empty() && len > 0) return Err(Errno::kEFAULT);
  return out;
}

SysResult<void> MemoryManager::CopyIn(uint64_t addr, void* dst, size_t len) const {
  auto* d = static_cast<uint8_t*>(dst);
  uint64_t end = addr + len;
  if (end < addr) return Err(Errno::kEFAULT);
  for (uint64_t a = addr; a < end;) {
    const Vma* v = FindVma(a);
    if (v == nullptr || !Allowed(*v, false)) return Err(Errno::kEFAULT);
    uint64_t stop = std::min(end, v->end);
    // SAFETY: the VMA maps [a, stop) to allocated memory-file pages.
    std::memcpy(d + (a - addr), mf_.At(v->FileOffsetOf(a)), stop - a);
    a = stop;
  }
  return {};
}

SysResult<void> MemoryManager::CopyOut(uint64_t addr, const void* src, size_t len) {
  const auto* s = static_cast<const uint8_t*>(src);
  uint64_t end = addr + len;
  if (end < addr) return Err(Errno::kEFAULT);
  for (uint64_t a = addr; a < end;) {
    const Vma* v = FindVma(a);
    if (v == nullptr || !Allowed(*v, true)) return Err(Errno::kEFAULT);
    uint64_t stop = std::min(end, v->end);
    std::memcpy(mf_.At(v->FileOffsetOf(a)), s + (a - addr), stop - a);
    a = stop;
  }
  return {};
}

SysResult<void> MemoryManager::WriteForce(uint64_t addr, const void* src, size_t len) {
  const auto* s = static_cast<const uint8_t*>(src);
  uint64_t end = addr + len;
  if (end < addr) return Err(Errno::kEFAULT);
  for (uint64_t a = addr; a < end;) {
    Vma* v = FindVmaMutable(a);
    if (v == nullptr) return Err(Errno::kEFAULT);
    if (v->file_pages) {
      TRY(CopyOnWrite(*v));
      MapIntoPlatform(*v);
    }
    uint64_t stop = std::min(end, v->end);
    std::memcpy(mf_.At(v->FileOffsetOf(a)), s + (a - addr), stop - a);
    a = stop;
  }
  return {};
}

SysResult<void> MemoryManager::Zero(uint64_t addr, size_t len) {
  uint64_t end = addr + len;
  if (end < addr) return Err(Errno::kEFAULT);
  for (uint64_t a = addr; a < end;) {
    Vma* v = FindVmaMutable(a);
    if (v == nullptr) return Err(Errno::kEFAULT);
    if (v->file_pages) {
      TRY(CopyOnWrite(*v));
      MapIntoPlatform(*v);
    }
    uint64_t stop = std::min(end, v->end);
    std::memset(mf_.At(v->FileOffsetOf(a)), 0, stop - a);
    a = stop;
  }
  return {};
}

SysResult<std::string> MemoryManager::CopyInString(uint64_t addr, size_t max) const {
  std::string out;
  uint64_t a = addr;
  while (out.size() < max) {
    const Vma* v = FindVma(a);
    if (v == nullptr || !Allowed(*v, false)) return Err(Errno::kEFAULT);
    size_t chunk = std::min<uint64_t>(v->end - a, max - out.size());
    const char* p = reinterpret_cast<const char*>(mf_.At(v->FileOffsetOf(a)));
    const void* nul = std::memchr(p, 0, chunk);
    if (nul != nullptr) {
      out.append(p, static_cast<const char*>(nul) - p);
      return out;
    }
    out.append(p, chunk);
    a += chunk;
  }
  return Err(Errno::kENAMETOOLONG);
}

std::shared_ptr<MemoryManager> MemoryManager::Fork() const {
  auto child = std::make_shared<MemoryManager>(mf_, platform_);
  child->brk_base_ = brk_base_;
  child->brk_ = brk_;
  child->arg_start = arg_start;
  child->arg_end = arg_end;
  child->env_start = env_start;
  child->env_end = env_end;
  child->start_code = start_code;
  child->end_code = end_code;
  child->start_data = start_data;
  child->start_stack = start_stack;
  child->auxv = auxv;
  child->mmap_base = mmap_base;
  child->dumpable = dumpable;
  for (auto& [start, v] : vmas_) {
    if (v.dontfork) continue;
    Vma c = v;
    if (v.wipeonfork) {
      auto off = mf_.Allocate(v.end - v.start);
      if (!off) {
        LOG_ERROR("fork: memory file exhausted");
        abort();
      }
      c.backing = std::make_shared<Backing>(mf_, *off, v.end - v.start);
      c.backing_offset = 0;
    } else if (!v.shared && !v.file_pages) {  // file_pages: never written, shared
      uint64_t len = v.end - v.start;
      auto off = mf_.Allocate(len);
      if (!off) {
        // Out of memory-file space: the sandbox cannot continue sensibly.
        LOG_ERROR("fork: memory file exhausted");
        abort();
      }
      mf_.CopyPopulated(v.FileOffsetOf(v.start), *off, len);
      c.backing = std::make_shared<Backing>(mf_, *off, len);
      c.backing_offset = 0;
    }
    child->vmas_.emplace(start, std::move(c));
  }
  return child;
}

SysResult<void> MemoryManager::TakeAddressSpace(MemoryManager& old) {
  if (as_ || !old.as_) return {};
  std::unique_ptr<platform::AddressSpace> as = std::move(old.as_);
  TRY(as->Unmap(min_addr_, max_addr_ - min_addr_));
  as_ = std::move(as);
  for (auto& [start, v] : vmas_) MapIntoPlatform(v);
  return {};
}

SysResult<platform::AddressSpace*> MemoryManager::Activate() {
  if (!as_) {
    as_ = TRY(platform_.NewAddressSpace());
    for (auto& [start, v] : vmas_) MapIntoPlatform(v);
  }
  return as_.get();
}

}  // namespace bulwark::mm

#include "sentry/loader/image.h"

#include <sys/mman.h>
#include <sys/random.h>

#include <algorithm>
#include <vector>

namespace bulwark::loader {

namespace {

using mm::kPageSize;
using mm::PageDown;
using mm::PageUp;

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kMinStack = 256 << 10;
constexpr uint64_t kMaxStack = uint64_t{1} << 30;
constexpr uint64_t kMinMmapGap = 128 * kMiB;
// Larger alignments are ignored (and a hostile p_align cannot make the
// reservation overflow).
constexpr uint64_t kMaxAlign = uint64_t{1} << 30;
constexpr size_t kCopyChunk = 256 << 10;

// Finds `len` free bytes aligned to `align` below mm.mmap_base.
SysResult<uint64_t> FindAligned(mm::MemoryManager& mm, uint64_t len, uint64_t align) {
  mm::MapRequest probe;
  probe.len = len + (align - kPageSize);
  uint64_t at = TRY(mm.Map(probe));
  TRY(mm.Unmap(at, probe.len));
  return (at + align - 1) & ~(align - 1);
}

SysResult<void> Fill(mm::MemoryManager& mm, uint64_t addr, uint64_t off, uint64_t len,
                     const ReadAt& reader) {
  std::vector<uint8_t> buf(std::min<uint64_t>(len, kCopyChunk));
  for (uint64_t done = 0; done < len;) {
    size_t n = std::min<uint64_t>(len - done, buf.size());
    std::span<uint8_t> chunk(buf.data(), n);
    TRY(ReadFull(reader, off + done, chunk));
    TRY(mm.WriteForce(addr + done, chunk.data(), n));
    done += n;
  }
  return {};
}

}  // namespace

LayoutRandom DrawLayoutRandom() {
  uint64_t r[4] = {};
  // getrandom(2) of 32 bytes does not fail once the pool is ready; zeros
  // (no randomization) if it somehow does.
  if (getrandom(r, sizeof(r), 0) != static_cast<ssize_t>(sizeof(r))) return {};
  constexpr uint64_t kMmapRandomPages = (uint64_t{1} << 28) - 1;  // mmap_rnd_bits
  LayoutRandom out;
  out.stack = (r[0] & 0x3fffff) << 12;
  out.mmap = (r[1] & kMmapRandomPages) << 12;
  out.dyn_exec = (r[2] & kMmapRandomPages) << 12;
  out.brk = (r[3] % (32 * kMiB / kPageSize)) * kPageSize;
  return out;
}

Layout ChooseLayout(uint64_t max_user_address, uint64_t stack_rlimit, const LayoutRandom* rnd) {
  Layout l;
  uint64_t top = std::min(max_user_address, kTaskSize);
  uint64_t unrandomized_top = (top & ~(kMiB - 1)) - kMiB;
  l.stack_size = std::clamp(PageUp(std::min(stack_rlimit, kMaxStack)), kMinStack, kMaxStack);
  // mmap_base(): the gap below the stack also covers the stack's largest
  // random offset, so that no draw makes the two areas meet.
  uint64_t gap = std::max(kMinMmapGap, l.stack_size + kMiB + (rnd ? kStackRandomMax : 0));
  l.stack_top = unrandomized_top - (rnd ? rnd->stack : 0);
  l.mmap_base = unrandomized_top - gap - (rnd ? rnd->mmap : 0);
  if (rnd) {
    l.dyn_exec_base = kDynExecBase + rnd->dyn_exec;
    l.brk_offset = rnd->brk;
  }
  return l;
}

SysResult<MappedElf> MapElf(mm::MemoryManager& mm, const ElfInfo& info, const ReadAt& reader,
                            std::optional<uint64_t> dyn_base, const FileIdentity& id) {
  MappedElf out;
  uint64_t span = info.SpanEnd() - info.SpanStart();
  bool noreplace = info.type == ET_EXEC;
  if (info.type == ET_DYN) {
    uint64_t align = std::min(info.max_align, kMaxAlign);
    uint64_t load;
    if (dyn_base) {
      load = *dyn_base & ~(align - 1);
      noreplace = true;
    } else {
      load = TRY(FindAligned(mm, span, align));
    }
    out.bias = PageDown(load - info.SpanStart());
  }
  out.entry = info.entry + out.bias;
  if (out.entry >= kTaskSize) return Err(Errno::kEINVAL);
  out.phdr = info.phdr_vaddr + out.bias;

  out.start_code = ~uint64_t{0};
  uint64_t mapped_end = 0;  // end of the pages mapped so far
  int last_prot = 0;
  for (const ElfSegment& seg : info.segments) {
    bool from_cache = false;  // the segment maps the file's page cache
    uint64_t start = PageDown(seg.vaddr) + out.bias;
    uint64_t file_end = PageUp(seg.vaddr + seg.filesz) + out.bias;
    uint64_t end = PageUp(seg.vaddr + seg.memsz) + out.bias;
    if (start < mapped_end) {
      // First page shared with the previous segment: it gets both
      // protections (Linux's later mmap would give it this one's).
      TRY(mm.Protect(start, kPageSize, last_prot | seg.prot));
      start = mapped_end;
    }
    // File-backed part, then anonymous .bss pages.
    for (auto [from, to, file] : {std::tuple{start, std::min(file_end, end), true},
                                  std::tuple{std::max(start, file_end), end, false}}) {
      if (from >= to) continue;
      mm::MapRequest req;
      req.addr = from;
      req.len = to - from;
      req.prot = seg.prot;
      req.fixed_noreplace = noreplace;
      req.fixed = !noreplace;
      if (file) {
        req.name = id.name;
        req.dev = id.dev;
        req.ino = id.ino;
        req.file_offset = PageDown(seg.offset) + (from - (PageDown(seg.vaddr) + out.bias));
        // Read-only segments without .bss map the file's cached pages, as
        // Linux maps the file (whole pages: what follows p_filesz in the
        // last page shows too, as there).
        if (id.pages && !(seg.prot & PROT_WRITE) && seg.memsz == seg.filesz) {
          req.backing = id.pages(req.file_offset, to - from);
          req.backing_offset = req.file_offset;
        }
      }
      TRY(mm.Map(req));
      if (req.backing) from_cache = true;
    }
    if (end > mapped_end) mapped_end = end;
    last_prot = seg.prot;
    if (!from_cache) TRY(Fill(mm, seg.vaddr + out.bias, seg.offset, seg.filesz, reader));

    uint64_t vaddr = seg.vaddr + out.bias;
    if (seg.prot & PROT_EXEC) {
      out.start_code = std::min(out.start_code, vaddr);
      out.end_code = std::max(out.end_code, vaddr + seg.filesz);
    }
    out.start_data = std::max(out.start_data, vaddr);
    out.brk = std::max(out.brk, vaddr + seg.memsz);
  }
  if (out.start_code == ~uint64_t{0}) out.start_code = 0;
  out.brk = PageUp(out.brk);
  return out;
}

SysResult<void> MapStack(mm::MemoryManager& mm, const Layout& layout, bool exec_stack) {
  mm::MapRequest req;
  req.addr = layout.stack_top - layout.stack_size;
  req.len = layout.stack_size;
  req.prot = PROT_READ | PROT_WRITE | (exec_stack ? PROT_EXEC : 0);
  req.fixed = true;
  req.growsdown = true;
  req.name = "[stack]";
  TRY(mm.Map(req));
  return {};
}

SysResult<void> WriteStack(mm::MemoryManager& mm, const Layout& layout, const StackImage& image) {
  if (image.bytes.size() + kPageSize > layout.stack_size) return Err(Errno::kE2BIG);
  return mm.CopyOut(image.base, image.bytes.data(), image.bytes.size());
}

}  // namespace bulwark::loader

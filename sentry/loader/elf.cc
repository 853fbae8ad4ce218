#include "sentry/loader/elf.h"

#include <linux/limits.h>
#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstring>

namespace bulwark::loader {

namespace {

constexpr uint64_t kPage = 4096;

uint64_t PageDown(uint64_t a) { return a & ~(kPage - 1); }
uint64_t PageUp(uint64_t a) { return (a + kPage - 1) & ~(kPage - 1); }

int ProtOf(uint32_t p_flags) {
  int prot = 0;
  if (p_flags & PF_R) prot |= PROT_READ;
  if (p_flags & PF_W) prot |= PROT_WRITE;
  if (p_flags & PF_X) prot |= PROT_EXEC;
  return prot;
}

// [off, off+len) lies within a file of `size` bytes.
bool InFile(uint64_t off, uint64_t len, uint64_t size) {
  return off <= size && len <= size - off;
}

SysResult<ElfSegment> CheckLoad(const Elf64_Phdr& ph, uint64_t file_size) {
  if (ph.p_filesz > ph.p_memsz) return Err(Errno::kEINVAL);
  if (ph.p_vaddr >= kTaskSize || ph.p_memsz > kTaskSize - ph.p_vaddr) return Err(Errno::kEINVAL);
  // Linux mmaps the file at p_offset - (p_vaddr % page): an unaligned
  // offset makes that mmap fail with EINVAL.
  if ((ph.p_vaddr - ph.p_offset) % kPage != 0) return Err(Errno::kEINVAL);
  if (!InFile(ph.p_offset, ph.p_filesz, file_size)) return Err(Errno::kENOEXEC);
  return ElfSegment{ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz, ProtOf(ph.p_flags)};
}

SysResult<std::string> ReadInterp(const Elf64_Phdr& ph, uint64_t file_size,
                                  const ReadAt& reader) {
  if (ph.p_filesz > PATH_MAX || ph.p_filesz < 2) return Err(Errno::kENOEXEC);
  // A short read is EIO in Linux (elf_read) before the NUL check.
  if (!InFile(ph.p_offset, ph.p_filesz, file_size)) return Err(Errno::kEIO);
  std::string path(ph.p_filesz, '\0');
  TRY(ReadFull(reader, ph.p_offset,
               std::span<uint8_t>(reinterpret_cast<uint8_t*>(path.data()), path.size())));
  if (path.back() != '\0') return Err(Errno::kENOEXEC);
  path.resize(strlen(path.c_str()));
  return path;
}

}  // namespace

uint64_t ElfInfo::SpanStart() const {
  return segments.empty() ? 0 : PageDown(segments.front().vaddr);
}

uint64_t ElfInfo::SpanEnd() const {
  return segments.empty() ? 0 : PageUp(segments.back().vaddr + segments.back().memsz);
}

bool IsElf(std::span<const uint8_t> bytes) {
  return bytes.size() >= SELFMAG && memcmp(bytes.data(), ELFMAG, SELFMAG) == 0;
}

SysResult<void> ReadFull(const ReadAt& reader, uint64_t off, std::span<uint8_t> dst) {
  size_t done = 0;
  while (done < dst.size()) {
    size_t n = TRY(reader(off + done, dst.subspan(done)));
    if (n == 0) return Err(Errno::kEIO);
    done += n;
  }
  return {};
}

SysResult<ElfInfo> ParseElf(std::span<const uint8_t> header_bytes, uint64_t file_size,
                            const ReadAt& reader) {
  Elf64_Ehdr eh;
  if (header_bytes.size() < sizeof(eh) || file_size < sizeof(eh)) return Err(Errno::kENOEXEC);
  memcpy(&eh, header_bytes.data(), sizeof(eh));
  if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return Err(Errno::kENOEXEC);
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) return Err(Errno::kENOEXEC);
  if (eh.e_machine != EM_X86_64) return Err(Errno::kENOEXEC);
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return Err(Errno::kENOEXEC);
  if (eh.e_phentsize != sizeof(Elf64_Phdr)) return Err(Errno::kENOEXEC);
  uint64_t table_size = uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr);
  if (table_size == 0 || table_size > kMaxPhdrBytes) return Err(Errno::kENOEXEC);
  if (!InFile(eh.e_phoff, table_size, file_size)) return Err(Errno::kENOEXEC);

  std::vector<Elf64_Phdr> phdrs(eh.e_phnum);
  TRY(ReadFull(reader, eh.e_phoff,
               std::span<uint8_t>(reinterpret_cast<uint8_t*>(phdrs.data()), table_size)));

  ElfInfo info;
  info.type = eh.e_type;
  info.entry = eh.e_entry;
  info.phnum = eh.e_phnum;
  bool have_interp = false;
  for (const Elf64_Phdr& ph : phdrs) {
    switch (ph.p_type) {
      case PT_INTERP:
        // Linux uses the first PT_INTERP and ignores later ones.
        if (!have_interp) {
          info.interp = TRY(ReadInterp(ph, file_size, reader));
          have_interp = true;
        }
        break;
      case PT_GNU_STACK:
        info.exec_stack = (ph.p_flags & PF_X) != 0;
        break;
      default:
        break;
    }
  }
  for (const Elf64_Phdr& ph : phdrs) {
    if (ph.p_type != PT_LOAD) continue;
    ElfSegment seg = TRY(CheckLoad(ph, file_size));
    if (!info.segments.empty()) {
      const ElfSegment& prev = info.segments.back();
      // Sharing a page is fine; sharing bytes (or going backwards) is not.
      if (seg.vaddr < prev.vaddr + prev.memsz) return Err(Errno::kENOEXEC);
    }
    if (ph.p_align > 1 && std::has_single_bit(ph.p_align))
      info.max_align = std::max<uint64_t>(info.max_align, ph.p_align);
    info.segments.push_back(seg);
    if (info.phdr_vaddr == 0 && eh.e_phoff >= seg.offset &&
        eh.e_phoff - seg.offset < seg.filesz)
      info.phdr_vaddr = seg.vaddr + (eh.e_phoff - seg.offset);
  }
  if (info.segments.empty()) return Err(Errno::kENOEXEC);
  if (info.phdr_vaddr == 0) {
    // Headers not mapped by any PT_LOAD: Linux's pre-5.18 guess.
    const ElfSegment& first = info.segments.front();
    info.phdr_vaddr = first.vaddr - first.offset + eh.e_phoff;
  }
  return info;
}

}  // namespace bulwark::loader

// ELF64 executable parsing (the checks of Linux's fs/binfmt_elf.c, made
// before anything is mapped).
#pragma once

#include <elf.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace bulwark::loader {

// Reads up to dst.size() bytes of the file at `off`; returns the count,
// which is short only at end of file.
using ReadAt = std::function<SysResult<size_t>(uint64_t off, std::span<uint8_t> dst)>;

// Linux's TASK_SIZE_MAX on x86-64 (4-level paging): no segment may end above.
constexpr uint64_t kTaskSize = 0x7ffffffff000;
// Linux's limit on the program header table (load_elf_phdrs).
constexpr uint64_t kMaxPhdrBytes = 64 * 1024;

struct ElfSegment {  // one PT_LOAD
  uint64_t vaddr = 0, memsz = 0;
  uint64_t offset = 0, filesz = 0;
  int prot = 0;  // PROT_* from p_flags
};

struct ElfInfo {
  uint16_t type = 0;  // ET_EXEC or ET_DYN
  uint64_t entry = 0;
  uint16_t phnum = 0;
  // Unbiased address of the program headers (AT_PHDR before relocation):
  // inside the PT_LOAD that maps e_phoff, as Linux 5.18+ computes it.
  uint64_t phdr_vaddr = 0;
  std::vector<ElfSegment> segments;  // sorted by vaddr, non-overlapping
  // Largest power-of-two p_align of the PT_LOADs (at least the page size).
  uint64_t max_align = 4096;
  std::optional<std::string> interp;  // PT_INTERP, without the NUL
  bool exec_stack = false;            // PT_GNU_STACK has PF_X

  uint64_t SpanStart() const;  // page-aligned lowest segment address
  uint64_t SpanEnd() const;    // page-aligned end of the highest segment
};

// True if `bytes` starts with the ELF magic.
bool IsElf(std::span<const uint8_t> bytes);

// Validates an executable and reads its program headers through `reader`.
// `header_bytes` is the start of the file as already read (at least the ELF
// header, else ENOEXEC); `file_size` bounds every offset.
//
// Errors, as Linux's load_elf_binary: not ELF / wrong class, byte order,
// machine or type / bad e_phentsize / no or too many program headers / a
// table or PT_INTERP outside the file / PT_INTERP shorter than 2, longer
// than PATH_MAX or not NUL-terminated: ENOEXEC. A PT_LOAD with p_filesz >
// p_memsz or reaching past kTaskSize, or whose p_offset and p_vaddr differ
// modulo the page size: EINVAL. I/O errors of `reader` pass through.
// Deliberate differences from Linux, which would map such files and let the
// program fault: PT_LOAD segments out of address order, overlapping, or
// with file bytes past end of file are ENOEXEC; so is a file without
// PT_LOAD.
SysResult<ElfInfo> ParseElf(std::span<const uint8_t> header_bytes, uint64_t file_size,
                            const ReadAt& reader);

// Reads exactly dst.size() bytes at `off`; EIO on a short read (elf_read).
SysResult<void> ReadFull(const ReadAt& reader, uint64_t off, std::span<uint8_t> dst);

}  // namespace bulwark::loader

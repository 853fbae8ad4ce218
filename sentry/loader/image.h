// Placing a parsed ELF image and the initial stack in a new address space.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "sentry/loader/elf.h"
#include "sentry/loader/exec_args.h"
#include "sentry/mm/mm.h"

namespace bulwark::loader {

// Where ET_DYN executables with an interpreter (PIEs) are loaded: Linux's
// ELF_ET_DYN_BASE without randomization, aligned down to the image's
// p_align.
constexpr uint64_t kDynExecBase = 0x555555554aaa;

// The address-space layout of a new program (no randomization):
//
//   stack_top = (user top rounded down to 1 MiB) - 1 MiB, where the user
//               top is min(platform max_user_address, kTaskSize)
//   stack     = [stack_top - stack_size, stack_top), growsdown;
//               stack_size = RLIMIT_STACK clamped to [256 KiB, 1 GiB]
//   mmap_base = stack_top - max(128 MiB, stack_size + 1 MiB guard), the
//               top of the top-down mmap area (interpreter, libraries)
//   PIE at ~0x555555554000, ET_EXEC where linked, heap after the image.
struct Layout {
  uint64_t stack_top = 0, stack_size = 0, mmap_base = 0;
};
Layout ChooseLayout(uint64_t max_user_address, uint64_t stack_rlimit);

// Name and identity of the mapped file, for /proc/<pid>/maps.
struct FileIdentity {
  std::string name;
  uint64_t dev = 0, ino = 0;
  // The file's page cache covering [off, off+len) (gofer files, see
  // goferfs::PageCacheOf), or null: read-only segments map it instead of
  // a copy. Unset: every segment is copied.
  std::function<std::shared_ptr<mm::Backing>(uint64_t off, uint64_t len)> pages;
};

struct MappedElf {
  uint64_t bias = 0;   // load address - linked address (AT_BASE for ld.so)
  uint64_t entry = 0;  // e_entry + bias
  uint64_t phdr = 0;   // AT_PHDR
  uint64_t brk = 0;    // page-aligned end of the highest segment
  uint64_t start_code = 0, end_code = 0, start_data = 0;
};

// Maps every PT_LOAD of `info` into `mm` with its protection and fills it
// from `reader`; the bytes past p_filesz (.bss and the rest of its page)
// stay zero. ET_EXEC goes where linked (EEXIST if that overlaps a mapping,
// as MAP_FIXED_NOREPLACE). ET_DYN goes at `dyn_base` (aligned down to
// max_align) when given, else anywhere below mm.mmap_base.
// Precondition: `mm` is not yet in use by any task.
SysResult<MappedElf> MapElf(mm::MemoryManager& mm, const ElfInfo& info, const ReadAt& reader,
                            std::optional<uint64_t> dyn_base, const FileIdentity& id);

// Maps the stack VMA of `layout` (executable if `exec_stack`).
SysResult<void> MapStack(mm::MemoryManager& mm, const Layout& layout, bool exec_stack);
// Writes `image` at the top of the mapped stack; E2BIG if it does not fit.
SysResult<void> WriteStack(mm::MemoryManager& mm, const Layout& layout, const StackImage& image);

}  // namespace bulwark::loader

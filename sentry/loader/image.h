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

// Address-space randomization (Linux's randomize_va_space = 2 on x86-64):
// page-aligned offsets drawn for each execve unless the process's
// personality has ADDR_NO_RANDOMIZE.
//   stack:    [0, 16 GiB) below the top (STACK_RND_MASK 0x3fffff pages)
//   mmap:     [0, 1 TiB) below the mmap base (mmap_rnd_bits 28)
//   dyn_exec: [0, 1 TiB) above ELF_ET_DYN_BASE for PIEs
//   brk:      [0, 32 MiB) above the end of the image (arch_randomize_brk)
struct LayoutRandom {
  uint64_t stack = 0, mmap = 0, dyn_exec = 0, brk = 0;
};
inline constexpr uint64_t kStackRandomMax = uint64_t{0x3fffff} << 12;
LayoutRandom DrawLayoutRandom();

// The address-space layout of a new program:
//
//   stack_top = (user top rounded down to 1 MiB) - 1 MiB - rnd.stack, where
//               the user top is min(platform max_user_address, kTaskSize)
//   stack     = [stack_top - stack_size, stack_top), growsdown;
//               stack_size = RLIMIT_STACK clamped to [256 KiB, 1 GiB]
//   mmap_base = unrandomized stack_top - max(128 MiB, stack_size + 1 MiB
//               guard + the stack's largest random offset) - rnd.mmap:
//               the top of the top-down mmap area (interpreter, libraries)
//   PIE at kDynExecBase + rnd.dyn_exec, ET_EXEC where linked, the heap
//   rnd.brk after the image.
// Without `rnd` nothing is randomized (and no stack pad is kept).
struct Layout {
  uint64_t stack_top = 0, stack_size = 0, mmap_base = 0;
  uint64_t dyn_exec_base = kDynExecBase, brk_offset = 0;
};
Layout ChooseLayout(uint64_t max_user_address, uint64_t stack_rlimit,
                    const LayoutRandom* rnd = nullptr);

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

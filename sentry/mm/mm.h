// MemoryManager: an application address space (struct mm_struct).
#pragma once

#include <sys/mman.h>
#include <sys/uio.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "platform/platform.h"
#include "sentry/mm/memory_file.h"

namespace bulwark::mm {

constexpr uint64_t kPageSize = 4096;
inline uint64_t PageDown(uint64_t a) { return a & ~(kPageSize - 1); }
inline uint64_t PageUp(uint64_t a) { return (a + kPageSize - 1) & ~(kPageSize - 1); }

// A refcounted range of the memory file. Freed when the last VMA using it
// goes away. A file's page cache (goferfs) derives from it: its offset 0 is
// the file's offset 0, and it says how far the file goes.
class Backing {
 public:
  Backing(MemoryFile& mf, uint64_t offset, uint64_t len) : mf_(mf), offset_(offset), len_(len) {}
  virtual ~Backing() { mf_.Free(offset_, len_); }
  uint64_t offset() const { return offset_; }
  uint64_t len() const { return len_; }
  // File pages: the file's current size. Pages of a shared mapping wholly
  // past it raise SIGBUS (filemap_fault()). Anonymous memory: no limit.
  virtual uint64_t FileSize() const { return UINT64_MAX; }
  // msync(2) of [off, off+len) of this range (relative to offset()):
  // writes modified file pages back. Anonymous memory: nothing to do.
  virtual SysResult<void> Sync(uint64_t off, uint64_t len) { return {}; }

 protected:
  MemoryFile& mf_;

 private:
  uint64_t offset_, len_;
};

struct Vma {
  uint64_t start = 0, end = 0;
  int prot = 0;            // PROT_*
  bool shared = false;     // MAP_SHARED: not copied at fork
  bool growsdown = false;  // stack
  bool dontfork = false;   // MADV_DONTFORK: absent from a fork child
  bool wipeonfork = false; // MADV_WIPEONFORK: zero-filled in a fork child
  bool maywrite = true;    // VM_MAYWRITE: false for shared maps of read-only fds
  bool mayexec = true;     // VM_MAYEXEC: false for files of noexec mounts
  // Private and not writable, mapping a page cache's pages (`backing`)
  // rather than a copy: fork shares them; the first write access (mprotect
  // adding PROT_WRITE, WriteForce) copies them first (CopyOnWrite).
  bool file_pages = false;
  std::shared_ptr<Backing> backing;
  uint64_t backing_offset = 0;  // offset of `start` within backing
  // For /proc/<pid>/maps: the mapped file's name and identity, or a pseudo
  // name ("[heap]", "[stack]"), or empty for anonymous memory.
  std::string name;
  uint64_t file_offset = 0;
  uint64_t dev = 0, ino = 0;

  // Private file mappings: the file's size when mapped (their pages are
  // copies). Pages wholly past it raise SIGBUS. UINT64_MAX otherwise.
  uint64_t file_size = UINT64_MAX;

  uint64_t FileOffsetOf(uint64_t addr) const {  // memory-file offset of addr
    return backing->offset() + backing_offset + (addr - start);
  }
  // The end of the part of [start, end) that lies within the file's pages
  // (a page past the end of file raises SIGBUS), or `end`.
  uint64_t ValidEnd() const;
};

struct MapRequest {
  uint64_t addr = 0;  // hint, or the address when fixed
  uint64_t len = 0;
  int prot = 0;
  bool fixed = false;        // MAP_FIXED: replace whatever is there
  bool fixed_noreplace = false;
  bool shared = false;
  bool growsdown = false;
  std::string name;
  uint64_t file_offset = 0, dev = 0, ino = 0;
  // Maps this existing range (a shared file's memory, see memfs/shmem.h;
  // a SysV segment) instead of fresh memory. Without `shared`: a private
  // mapping of a page cache's pages (Vma::file_pages); then `prot` must
  // not include PROT_WRITE.
  // Precondition: backing_offset + len <= backing->len().
  std::shared_ptr<Backing> backing;
  uint64_t backing_offset = 0;
  // False: mprotect may never add PROT_WRITE (EACCES).
  bool maywrite = true;
  bool mayexec = true;
  // Private file mappings: the file's size (see Vma::file_size).
  uint64_t file_size = UINT64_MAX;
};

// Guarded by the kernel lock. The platform address space is created lazily
// by Activate() on the thread of a task running in this mm (see
// platform/platform.h for the threading contract) and mirrors the VMAs.
class MemoryManager {
 public:
  MemoryManager(MemoryFile& mf, platform::Platform& platform);
  ~MemoryManager();

  // New anonymous zero-filled mapping; returns its address.
  SysResult<uint64_t> Map(const MapRequest& req);
  SysResult<void> Unmap(uint64_t addr, uint64_t len);
  // mprotect(2). `read_implies_exec`: the READ_IMPLIES_EXEC personality,
  // which adds PROT_EXEC to PROT_READ where the mapping may execute.
  SysResult<void> Protect(uint64_t addr, uint64_t len, int prot, bool read_implies_exec = false);
  // madvise(MADV_DONTFORK/DOFORK/WIPEONFORK/KEEPONFORK) on a range that
  // must be mapped (ENOMEM). WIPEONFORK needs private anonymous memory
  // (EINVAL otherwise).
  SysResult<void> SetForkAdvice(uint64_t addr, uint64_t len, int advice);
  SysResult<uint64_t> Remap(uint64_t old_addr, uint64_t old_len, uint64_t new_len, int flags,
                            uint64_t new_addr);
  // brk(2): returns the new (or unchanged, on failure) break.
  uint64_t Brk(uint64_t addr);
  void SetBrkBase(uint64_t base) { brk_base_ = brk_ = base; }

  // Copies between application memory and the sentry. The whole range must
  // be mapped with the needed access (else EFAULT); kernel-style access
  // ignores PROT_EXEC.
  SysResult<void> CopyIn(uint64_t addr, void* dst, size_t len) const;
  SysResult<void> CopyOut(uint64_t addr, const void* src, size_t len);
  // Copies a NUL-terminated string of at most `max` bytes (ENAMETOOLONG past it).
  SysResult<std::string> CopyInString(uint64_t addr, size_t max) const;
  // Translates [addr, addr+len) into sentry iovecs. `write`: the range will
  // be written. Stops at the first unmapped/inaccessible page: returns the
  // iovecs for the accessible prefix (EFAULT if that prefix is empty and
  // len > 0).
  SysResult<std::vector<iovec>> Translate(uint64_t addr, size_t len, bool write) const;
  // Kernel-internal writes that ignore page protections (like FOLL_FORCE):
  // the ELF loader fills read-only segments with these. The range must be
  // mapped (EFAULT otherwise).
  SysResult<void> WriteForce(uint64_t addr, const void* src, size_t len);
  SysResult<void> Zero(uint64_t addr, size_t len);

  // A copy for fork(): private memory is copied, shared memory is shared.
  std::shared_ptr<MemoryManager> Fork() const;

  // Creates the platform address space if needed and maps every VMA.
  // Precondition: called on the thread of a task that is about to run in it.
  SysResult<platform::AddressSpace*> Activate();
  platform::AddressSpace* address_space() const { return as_.get(); }
  // execve of a process whose mm no one else uses: takes over `old`'s
  // platform address space instead of creating one (on ptrace a new stub
  // process costs a fork and a thread), unmaps everything in it and maps
  // this mm's VMAs. Does nothing if this mm has one or `old` has none; on
  // an error the address space is dropped and Activate makes a new one.
  // Precondition: on the thread of the task that ran in `old`.
  SysResult<void> TakeAddressSpace(MemoryManager& old);

  // msync(2): writes back the shared file pages of [addr, addr+len), which
  // must be mapped (ENOMEM).
  SysResult<void> Sync(uint64_t addr, uint64_t len);
  // A fault at `addr` that the platform reported as SIGSEGV is a SIGBUS:
  // the page is mapped but lies past the end of its file.
  bool FaultIsSigbus(uint64_t addr) const;
  // The file behind `backing` changed size: every address space mapping it
  // maps the pages now within the file and unmaps those past it (so that
  // touching them faults into the sentry and raises SIGBUS).
  static void FileSizeChanged(const Backing& backing);

  const std::map<uint64_t, Vma>& vmas() const { return vmas_; }
  const Vma* FindVma(uint64_t addr) const;
  uint64_t VirtualSize() const;

  // Layout, set by the ELF loader; read by /proc.
  uint64_t arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
  uint64_t start_code = 0, end_code = 0, start_data = 0, start_stack = 0;
  std::vector<uint64_t> auxv;  // saved auxv pairs for /proc/<pid>/auxv
  // prctl(PR_SET_DUMPABLE): per mm as in Linux, so a new image starts at 1.
  int dumpable = 1;
  // Address to place mmaps below (top-down, as Linux's default layout).
  uint64_t mmap_base = 0;

 private:
  // Finds a free range of `len` bytes below `hint`/mmap_base.
  SysResult<uint64_t> FindFree(uint64_t hint, uint64_t len) const;
  // Splits VMAs so that `addr` is a VMA boundary.
  void SplitAt(uint64_t addr);
  // Removes VMAs in [start, end) (after splitting) and unmaps them from the
  // platform; decommits private backing pages no longer used.
  void RemoveRange(uint64_t start, uint64_t end);
  void Insert(Vma vma);
  // Maps the VMA's pages within its file (all of an anonymous VMA);
  // `unmap_rest`: unmaps the pages past the end of the file.
  void MapIntoPlatform(const Vma& vma, bool unmap_rest = false);
  // Gives a file_pages VMA its own copy of its pages (private anonymous
  // memory from then on, still SIGBUS past the file's current size).
  SysResult<void> CopyOnWrite(Vma& vma);
  Vma* FindVmaMutable(uint64_t addr) { return const_cast<Vma*>(FindVma(addr)); }

  MemoryFile& mf_;
  platform::Platform& platform_;
  std::unique_ptr<platform::AddressSpace> as_;
  std::map<uint64_t, Vma> vmas_;  // by start
  uint64_t brk_base_ = 0, brk_ = 0;
  uint64_t min_addr_, max_addr_;
};

}  // namespace bulwark::mm

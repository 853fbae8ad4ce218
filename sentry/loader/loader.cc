#include "sentry/loader/loader.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/personality.h>
#include <sys/random.h>

#include <array>
#include <optional>
#include <cstring>

#include "base/unique_fd.h"
#include "sentry/fsimpl/gofer/gofer_fs.h"
#include "sentry/fsimpl/memfs/shmem.h"
#include "sentry/kernel/task.h"
#include "sentry/loader/elf.h"
#include "sentry/loader/exec_args.h"
#include "sentry/loader/image.h"
#include "sentry/loader/script.h"

namespace bulwark::loader {

namespace {

constexpr uint64_t kClockTicks = 100;  // USER_HZ

// An opened file with its size and first kBinprmBufSize bytes.
struct Opened {
  std::shared_ptr<vfs::FileDescription> file;
  uint64_t size = 0;
  std::vector<uint8_t> head;
  ReadAt reader;
};

SysResult<Opened> Prepare(kernel::Task& t, std::shared_ptr<vfs::FileDescription> file) {
  Opened o;
  o.file = std::move(file);
  o.size = TRY(o.file->GetStat()).size;
  vfs::FileDescription* f = o.file.get();
  o.reader = [&t, f](uint64_t off, std::span<uint8_t> dst) -> SysResult<size_t> {
    iovec iov{dst.data(), dst.size()};
    return f->Read(t, vfs::IoVecs(&iov, 1), off);
  };
  o.head.resize(std::min<uint64_t>(o.size, kBinprmBufSize));
  size_t got = 0;
  while (got < o.head.size()) {
    size_t n = TRY(o.reader(got, std::span<uint8_t>(o.head).subspan(got)));
    if (n == 0) break;
    got += n;
  }
  o.head.resize(got);
  return o;
}

FileIdentity IdentityOf(kernel::Task& t, vfs::FileDescription& file) {
  FileIdentity id;
  if (file.path().valid()) id.name = t.kernel().mounts().PathString(file.path(), t.fs().root);
  if (auto st = file.GetStat()) {
    id.dev = st->dev;
    id.ino = st->ino;
  }
  // Page cache of a gofer file, or of the lower file of an overlay file
  // not copied up (see sys_mmap's private read-only mappings).
  id.pages = [&t, &file](uint64_t off, uint64_t len) -> std::shared_ptr<mm::Backing> {
    std::shared_ptr<vfs::FileDescription> lower = fsimpl::memfs::UncopiedLowerOf(file);
    auto c = fsimpl::goferfs::PageCacheOf(lower ? *lower : file, t.kernel().memory_file(), off,
                                          len, /*shared=*/false);
    return c && *c ? **c : nullptr;
  };
  return id;
}

// load_elf_binary's checks of the interpreter's ELF header.
SysResult<ElfInfo> ParseInterpreter(const Opened& o) {
  Elf64_Ehdr eh{};
  if (o.head.size() < sizeof(eh)) return Err(Errno::kELIBBAD);
  memcpy(&eh, o.head.data(), sizeof(eh));
  if (!IsElf(o.head) || eh.e_machine != EM_X86_64) return Err(Errno::kELIBBAD);
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) return Err(Errno::kEINVAL);
  auto info = ParseElf(o.head, o.size, o.reader);
  if (!info && info.error() == Errno::kENOEXEC) return Err(Errno::kELIBBAD);
  return info;
}

// The sentry's auxv as the host kernel wrote it. getauxval(AT_HWCAP) will
// not do: glibc on x86-64 returns its own HWCAP_X86_* bits instead.
HostAuxv ReadHostAuxv() {
  HostAuxv out{getauxval(AT_HWCAP), getauxval(AT_HWCAP2), getauxval(AT_MINSIGSTKSZ)};
  UniqueFd fd(open("/proc/self/auxv", O_RDONLY | O_CLOEXEC));
  if (!fd) return out;
  uint64_t pairs[128][2];
  ssize_t n = read(fd.get(), pairs, sizeof(pairs));
  for (ssize_t i = 0; i < n / static_cast<ssize_t>(sizeof(pairs[0])); ++i) {
    if (pairs[i][0] == AT_HWCAP) out.hwcap = pairs[i][1];
    if (pairs[i][0] == AT_HWCAP2) out.hwcap2 = pairs[i][1];
  }
  return out;
}

// Read at program start, while /proc is still the host's.
const HostAuxv kHostAuxv = ReadHostAuxv();

}  // namespace

const HostAuxv& GetHostAuxv() { return kHostAuxv; }

SysResult<LoadedImage> LoadExecutable(kernel::Task& t, mm::MemoryManager& new_mm,
                                      const std::string& path, std::vector<std::string> argv,
                                      std::vector<std::string> envp, OpenFn open) {
  if (argv.empty()) argv.emplace_back();
  const uint64_t stack_limit = t.tg().rlimits[RLIMIT_STACK].cur;
  TRY(CheckArgLimits(argv, envp, path, stack_limit));

  // Follow "#!" scripts to the ELF executable.
  Opened exe = TRY(Prepare(t, TRY(open(path))));
  std::string current = path;
  ElfInfo info;
  for (int depth = 0;; ++depth) {
    if (depth > kMaxInterpreterDepth) return Err(Errno::kELOOP);
    if (IsScript(exe.head)) {
      Shebang sb = TRY(ParseShebang(exe.head));
      std::vector<std::string> args{sb.interpreter};
      if (sb.arg) args.push_back(*sb.arg);
      args.push_back(current);
      args.insert(args.end(), argv.begin() + 1, argv.end());
      argv = std::move(args);
      TRY(CheckArgLimits(argv, envp, path, stack_limit));
      // Linux opens "" as the working directory, which cannot be executed.
      if (sb.interpreter.empty()) return Err(Errno::kEACCES);
      exe = TRY(Prepare(t, TRY(open(sb.interpreter))));
      current = sb.interpreter;
      continue;
    }
    info = TRY(ParseElf(exe.head, exe.size, exe.reader));
    break;
  }
  // The executable (not a "#!" script) cannot be written while it runs,
  // nor run while open for writing; the ELF interpreter only while it is
  // loaded (open_exec()'s deny_write_access()).
  std::shared_ptr<vfs::WriteDenial> exe_deny;
  if (exe.file->path().valid())
    exe_deny = TRY(vfs::WriteDenial::Make(exe.file->path().ino().shared_from_this()));
  std::optional<Opened> interp;
  ElfInfo interp_info;
  std::shared_ptr<vfs::WriteDenial> interp_deny;
  if (info.interp) {
    interp = TRY(Prepare(t, TRY(open(*info.interp))));
    if (interp->file->path().valid())
      interp_deny = TRY(vfs::WriteDenial::Make(interp->file->path().ino().shared_from_this()));
    interp_info = TRY(ParseInterpreter(*interp));
  }

  std::optional<LayoutRandom> rnd;
  if (!(t.personality & ADDR_NO_RANDOMIZE)) rnd = DrawLayoutRandom();
  Layout layout = ChooseLayout(t.kernel().platform().Caps().max_user_address, stack_limit,
                               rnd ? &*rnd : nullptr);
  new_mm.mmap_base = layout.mmap_base;
  // The stack first, so that an image overlapping it fails (EEXIST) as in
  // Linux rather than replacing it.
  TRY(MapStack(new_mm, layout, info.exec_stack));
  MappedElf main_image = TRY(MapElf(new_mm, info, exe.reader,
                                    info.interp ? std::optional(layout.dyn_exec_base) : std::nullopt,
                                    IdentityOf(t, *exe.file)));
  MappedElf interp_image;
  if (interp)
    interp_image = TRY(MapElf(new_mm, interp_info, interp->reader, std::nullopt,
                              IdentityOf(t, *interp->file)));

  const HostAuxv& host = GetHostAuxv();
  const kernel::Credentials& c = t.creds();
  StackInputs in;
  in.argv = std::move(argv);
  in.envp = std::move(envp);
  in.execfn = path;
  if (getrandom(in.random.data(), in.random.size(), 0) != static_cast<ssize_t>(in.random.size()))
    return Err(HostErrno());
  // ARCH_DLINFO's order: the vDSO (the platform's, where it has one), then
  // AT_MINSIGSTKSZ.
  if (uint64_t vdso = t.kernel().platform().Caps().vdso_base; vdso != 0)
    in.auxv.emplace_back(AT_SYSINFO_EHDR, vdso);
  if (host.minsigstksz != 0) in.auxv.emplace_back(AT_MINSIGSTKSZ, host.minsigstksz);
  in.auxv.insert(in.auxv.end(), {
      {AT_HWCAP, host.hwcap},
      {AT_PAGESZ, mm::kPageSize},
      {AT_CLKTCK, kClockTicks},
      {AT_PHDR, main_image.phdr},
      {AT_PHENT, sizeof(Elf64_Phdr)},
      {AT_PHNUM, info.phnum},
      {AT_BASE, interp ? interp_image.bias : 0},
      {AT_FLAGS, 0},
      {AT_ENTRY, main_image.entry},
      {AT_UID, c.ruid},
      {AT_EUID, c.euid},
      {AT_GID, c.rgid},
      {AT_EGID, c.egid},
      {AT_SECURE, 0},  // set-user-ID execution is not supported
      {AT_RANDOM, 0},
      {AT_HWCAP2, host.hwcap2},
      {AT_EXECFN, 0},
      {AT_PLATFORM, 0},
  });
  StackImage stack = BuildStack(in, layout.stack_top);
  TRY(WriteStack(new_mm, layout, stack));

  new_mm.SetBrkBase(main_image.brk + layout.brk_offset);
  new_mm.start_code = main_image.start_code;
  new_mm.end_code = main_image.end_code;
  new_mm.start_data = main_image.start_data;
  new_mm.arg_start = stack.arg_start;
  new_mm.arg_end = stack.arg_end;
  new_mm.env_start = stack.env_start;
  new_mm.env_end = stack.env_end;
  new_mm.start_stack = stack.rsp;
  new_mm.auxv = stack.auxv;

  LoadedImage out;
  out.entry = interp ? interp_image.entry : main_image.entry;
  out.rsp = stack.rsp;
  out.exe = exe.file->path();
  out.exe_deny = std::move(exe_deny);
  return out;
}

}  // namespace bulwark::loader

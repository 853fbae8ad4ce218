// execve's loader: from a path and arguments to a ready address space.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"

namespace bulwark::kernel {
class Task;
}

namespace bulwark::loader {

// Opens a path for execution (resolution, exec permission, EACCES for
// non-regular files or noexec mounts), as the caller's VFS does it. Used
// for the program, "#!" interpreters and the ELF interpreter.
using OpenFn =
    std::function<SysResult<std::shared_ptr<vfs::FileDescription>>(const std::string& path)>;

struct LoadedImage {
  uint64_t entry = 0;  // initial rip: the interpreter's entry if there is one
  uint64_t rsp = 0;    // initial rsp, pointing at argc
  vfs::Path exe;       // the ELF executable loaded (the interpreter of a script)
  std::shared_ptr<vfs::WriteDenial> exe_deny;  // writes to `exe` fail while it runs
};

// Values of the sentry's own auxv (read at program start) passed to every
// program.
struct HostAuxv {
  uint64_t hwcap = 0, hwcap2 = 0, minsigstksz = 0;
};
const HostAuxv& GetHostAuxv();

// Loads `path` into `new_mm`, a fresh address space: follows "#!" scripts
// (argv becomes [interpreter, optional argument, script path, argv[1:]]),
// maps the ELF executable and its PT_INTERP interpreter, sets the layout
// (mmap_base, brk, /proc fields) and builds the initial stack from argv and
// envp. An empty argv gets argv[0] = "" (Linux 5.18+).
//
// Errors: those of `open`; E2BIG when the strings exceed the argument
// space (see CheckArgLimits); ENOEXEC for an unknown format or bad ELF
// (see ParseElf); ELOOP past kMaxInterpreterDepth scripts; ELIBBAD for an
// interpreter that is not a valid x86-64 ELF, EINVAL if it is not ET_EXEC
// or ET_DYN; ENOMEM/EEXIST when the image cannot be placed.
//
// Nothing outside `new_mm` changes: the caller installs new_mm, sets the
// registers (rip, rsp, others zero, fs_base 0) and does the rest of exec.
// Preconditions: kernel lock held; `t` is the execing task (its creds
// and RLIMIT_STACK are used).
SysResult<LoadedImage> LoadExecutable(kernel::Task& t, mm::MemoryManager& new_mm,
                                      const std::string& path, std::vector<std::string> argv,
                                      std::vector<std::string> envp, OpenFn open);

}  // namespace bulwark::loader

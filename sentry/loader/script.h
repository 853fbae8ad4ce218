// "#!" interpreter scripts (Linux's fs/binfmt_script.c).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "base/result.h"

namespace bulwark::loader {

// Linux's BINPRM_BUF_SIZE: how much of a file exec looks at.
constexpr size_t kBinprmBufSize = 256;
// Script levels exec follows before ELOOP: Linux's exec_binprm allows five
// rewrites (measured on a 6.x host: a chain of five scripts runs, six fail).
constexpr int kMaxInterpreterDepth = 5;

struct Shebang {
  std::string interpreter;
  std::optional<std::string> arg;  // everything after the interpreter, trimmed
};

// True if `head` (the first bytes of a file) starts with "#!".
bool IsScript(std::span<const uint8_t> head);

// Parses the "#!" line in the first kBinprmBufSize bytes of a file (fewer
// at end of file). ENOEXEC when there is no interpreter name, or when the
// line has no newline within the buffer and the name may be truncated.
// The argument may be truncated, as in Linux.
SysResult<Shebang> ParseShebang(std::span<const uint8_t> head);

}  // namespace bulwark::loader

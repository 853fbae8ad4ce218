// Host file helpers for the runtime. Every fd is opened O_CLOEXEC; errors
// name the path ("open /x/config.json: No such file or directory").
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/result.h"

namespace bulwark::runtime {

// Reads a whole regular file, refusing more than max_bytes.
Result<std::string> ReadFile(const std::string& path, size_t max_bytes = 16 << 20);

// Writes `data` to `path` through a temporary file in the same directory and
// rename(2), so readers see the old or the new content, never a mix.
Result<void> WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode);

// mkdir -p; new directories get `mode`. An existing directory is fine.
Result<void> MakeDirs(const std::string& path, mode_t mode);

// `path` made absolute against the current directory and lexically cleaned
// (no "." or ".." components, no duplicate or trailing slashes). Symlinks are
// not resolved.
Result<std::string> AbsolutePath(const std::string& path);
std::string CleanPath(std::string_view path);

// `path` if absolute, else `base`/`path`, cleaned.
std::string JoinPath(std::string_view base, std::string_view path);

}  // namespace bulwark::runtime

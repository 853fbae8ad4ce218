// libFuzzer target: loader::ParseElf on an arbitrary file image, read
// through a ReadAt over the input bytes (as the loader reads a file).
// Any result is fine; crashes, leaks and out-of-bounds reads are not. A
// parsed result must satisfy what ParseElf promises.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "sentry/loader/elf.h"

namespace loader = bulwark::loader;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> file(data, size);
  loader::ReadAt reader = [file](uint64_t off, std::span<uint8_t> dst) -> bulwark::SysResult<size_t> {
    if (off >= file.size()) return 0;
    size_t n = std::min<uint64_t>(dst.size(), file.size() - off);
    std::memcpy(dst.data(), file.data() + off, n);
    return n;
  };
  // The loader passes the first bytes it read (up to a page) as the header.
  auto header = file.first(std::min<size_t>(size, 4096));
  auto info = loader::ParseElf(header, size, reader);
  if (!info) return 0;
  uint64_t prev_end = 0;
  for (const auto& s : info->segments) {
    // Sorted, non-overlapping, file bytes inside the file and the segment.
    if (s.vaddr < prev_end || s.filesz > s.memsz || s.offset + s.filesz > size) abort();
    prev_end = s.vaddr + s.memsz;
  }
  if (info->SpanStart() > info->SpanEnd()) abort();
  return 0;
}

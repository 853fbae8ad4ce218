#include "sentry/loader/script.h"

#include <array>
#include <cstring>

namespace bulwark::loader {

namespace {

bool SpaceTab(char c) { return c == ' ' || c == '\t'; }

// The C string in buf[from, to), stopping early at a NUL.
std::string CString(const std::array<char, kBinprmBufSize>& buf, size_t from, size_t to) {
  const char* p = buf.data() + from;
  return std::string(p, strnlen(p, to - from));
}

}  // namespace

bool IsScript(std::span<const uint8_t> head) {
  return head.size() >= 2 && head[0] == '#' && head[1] == '!';
}

SysResult<Shebang> ParseShebang(std::span<const uint8_t> head) {
  if (!IsScript(head)) return Err(Errno::kENOEXEC);
  // Like bprm->buf: zero-padded when the file is shorter than the buffer.
  std::array<char, kBinprmBufSize> buf{};
  memcpy(buf.data(), head.data(), std::min(head.size(), buf.size()));
  const size_t last = buf.size() - 1;

  // Index of the first char in [from, to] that is not a space/tab (or that
  // is one, or a NUL, for `terminator`); `to + 1` if none.
  auto find = [&](size_t from, size_t to, bool terminator) {
    for (size_t i = from; i <= to; ++i) {
      bool term = SpaceTab(buf[i]) || buf[i] == '\0';
      if (terminator ? term : !SpaceTab(buf[i])) return i;
    }
    return to + 1;
  };

  // `end` is one past the line's text. Without a newline the interpreter
  // name must be followed by a space/tab/NUL within the buffer, or it may
  // be truncated.
  size_t end;
  const void* nl = memchr(buf.data(), '\n', buf.size());
  if (nl != nullptr) {
    end = static_cast<const char*>(nl) - buf.data();
  } else {
    size_t first = find(2, last, false);
    if (first > last) return Err(Errno::kENOEXEC);
    if (find(first, last, true) > last) return Err(Errno::kENOEXEC);
    end = last;
  }
  while (end > 2 && SpaceTab(buf[end - 1])) --end;

  size_t name = find(2, end, false);
  if (name >= end) return Err(Errno::kENOEXEC);
  size_t sep = find(name, end, true);
  size_t arg = end + 1;
  if (sep <= end && buf[sep] != '\0') arg = find(sep, end, false);

  Shebang out;
  if (arg < end) {
    out.interpreter = CString(buf, name, sep);
    out.arg = CString(buf, arg, end);
  } else {
    out.interpreter = CString(buf, name, end);
  }
  return out;
}

}  // namespace bulwark::loader

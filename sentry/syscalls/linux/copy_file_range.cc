// copy_file_range(2).
#include <fcntl.h>

#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_splice.h"

namespace bulwark::syscalls {

// vfs_copy_file_range() with generic_copy_file_checks(): regular files
// only, flags must be 0, no O_APPEND output, and a copy within one file
// may not overlap. Files on different filesystems are copied too (Linux
// 5.19+ falls back to splice for them). Copies go through a sentry buffer.
SysResult<size_t> sys_copy_file_range(Task& t, GuestFd fd_in, UserPtr<int64_t> uoff_in,
                                      GuestFd fd_out, UserPtr<int64_t> uoff_out, size_t len,
                                      unsigned flags) {
  if (flags != 0) return Err(Errno::kEINVAL);
  std::shared_ptr<vfs::FileDescription> in = TRY(GetFile(t, fd_in.value));
  std::shared_ptr<vfs::FileDescription> out = TRY(GetFile(t, fd_out.value));
  auto read_off = [&](UserPtr<int64_t> p) -> SysResult<std::optional<uint64_t>> {
    if (p.addr == 0) return std::optional<uint64_t>();
    int64_t v;
    TRY(t.CopyInBytes(p.addr, &v, sizeof v));
    return std::optional<uint64_t>(static_cast<uint64_t>(v));
  };
  std::optional<uint64_t> in_off = TRY(read_off(uoff_in));
  std::optional<uint64_t> out_off = TRY(read_off(uoff_out));
  if (!in->Readable() || !out->Writable() || (out->flags() & O_APPEND))
    return Err(Errno::kEBADF);
  vfs::Stat in_st = TRY(in->GetStat());
  vfs::Stat out_st = TRY(out->GetStat());
  if (S_ISDIR(in_st.mode) || S_ISDIR(out_st.mode)) return Err(Errno::kEISDIR);
  if (!S_ISREG(in_st.mode) || !S_ISREG(out_st.mode)) return Err(Errno::kEINVAL);
  uint64_t pos_in = in_off ? *in_off : in->offset;
  uint64_t pos_out = out_off ? *out_off : out->offset;
  if (static_cast<int64_t>(pos_in) < 0 || static_cast<int64_t>(pos_out) < 0)
    return Err(Errno::kEINVAL);
  uint64_t end;
  if (__builtin_add_overflow(pos_in, len, &end) || __builtin_add_overflow(pos_out, len, &end) ||
      pos_in + len > static_cast<uint64_t>(INT64_MAX) ||
      pos_out + len > static_cast<uint64_t>(INT64_MAX))
    return Err(Errno::kEOVERFLOW);
  bool same = in_st.dev == out_st.dev && in_st.ino == out_st.ino;
  if (same && pos_out + len > pos_in && pos_in + len > pos_out) return Err(Errno::kEINVAL);
  if (len == 0) return 0;
  // Shorten to the input's size: nothing is copied at or past its end.
  if (pos_in >= in_st.size) return 0;
  len = std::min<uint64_t>(len, in_st.size - pos_in);
  std::optional<uint64_t> ip = pos_in, op = pos_out;
  size_t n = TRY(SpliceCopy(t, *in, &ip, *out, &op, len, false));
  if (in_off) {
    int64_t v = static_cast<int64_t>(*ip);
    TRY(t.CopyOutBytes(uoff_in.addr, &v, sizeof v));
  } else {
    in->offset = *ip;
  }
  if (out_off) {
    int64_t v = static_cast<int64_t>(*op);
    TRY(t.CopyOutBytes(uoff_out.addr, &v, sizeof v));
  } else {
    out->offset = *op;
  }
  return n;
}

}  // namespace bulwark::syscalls

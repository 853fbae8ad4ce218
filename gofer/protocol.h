// Wire protocol between the sentry (gofer::Client) and the gofer
// (gofer::Server).
//
// One request or one reply per SOCK_SEQPACKET message, at most kMaxMessage
// bytes: a 16-byte Header, then exactly `len` payload bytes. Integers are
// little-endian; a string is a u16 byte count followed by the bytes (no NUL).
// A reply echoes the request's tag and has op = request op | kReplyBit; it
// carries err = 0 and the op's reply payload, or err = a positive errno and
// no payload. Replies to Open and Create carry one fd in SCM_RIGHTS; nothing
// else carries fds (the server rejects requests that do).
//
// Payloads (request -> reply). A "fid" is a u64 handle of the server.
//   Attach   u32 index                                  -> fid, Stat
//   Walk     fid dir, str name                          -> fid, Stat
//   Stat     fid                                        -> Stat
//   Open     fid, u32 flags                             -> (empty) + fd
//   ReadDir  fid, u64 cookie                            -> u64 next_cookie,
//            u32 n, n x {u64 ino, u8 type, str name}; n == 0 at the end
//   ReadLink fid                                        -> str target
//   Create   fid dir, str name, u32 flags, u32 mode, u32 uid, u32 gid
//                                                       -> fid, Stat + fd
//   Mkdir    fid dir, str name, u32 mode, u32 uid, u32 gid -> fid, Stat
//   Mknod    fid dir, str name, u32 mode, u64 rdev, u32 uid, u32 gid
//                                                       -> fid, Stat
//   Symlink  fid dir, str name, str target, u32 uid, u32 gid -> fid, Stat
//   Link     fid dir, str name, fid target              -> Stat (of target)
//   Unlink   fid dir, str name, u32 flags               -> (empty)
//   Rename   fid old_dir, str old_name, fid new_dir, str new_name, u32 flags
//                                                       -> (empty)
//   SetAttr  fid, SetAttr                               -> Stat
//   Clunk    fid                                        -> (empty)
//   StatFs   fid                                        -> StatFs
// Stat, SetAttr and StatFs are encoded field by field in declaration order
// (timespec as i64 sec, i64 nsec).
#pragma once

#include <time.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace bulwark::gofer {

static_assert(std::endian::native == std::endian::little,
              "the wire format is the host's little-endian layout");

inline constexpr size_t kMaxMessage = 64 * 1024;
inline constexpr size_t kMaxName = 255;            // NAME_MAX
inline constexpr size_t kMaxSymlinkTarget = 4095;  // PATH_MAX - 1

struct Header {
  uint32_t op = 0;
  uint32_t tag = 0;
  uint32_t len = 0;  // payload bytes after the header
  int32_t err = 0;   // replies: 0 or a positive errno; requests: 0
};
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kMaxPayload = kMaxMessage - kHeaderSize;

enum class Op : uint32_t {
  kAttach = 1,
  kWalk = 2,
  kStat = 3,
  kOpen = 4,
  kReadDir = 5,
  kReadLink = 6,
  kCreate = 7,
  kMkdir = 8,
  kMknod = 9,
  kSymlink = 10,
  kLink = 11,
  kUnlink = 12,
  kRename = 13,
  kSetAttr = 14,
  kClunk = 15,
  kStatFs = 16,
};
inline constexpr uint32_t kReplyBit = 0x8000'0000;

// Attributes of a file, from fstatat(AT_SYMLINK_NOFOLLOW).
struct Stat {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint32_t mode = 0;  // type and permission bits
  uint32_t nlink = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t rdev = 0;
  uint64_t size = 0;
  uint32_t blksize = 0;
  uint64_t blocks = 0;  // 512-byte units
  timespec atime{};
  timespec mtime{};
  timespec ctime{};
};

struct SetAttr {
  enum : uint32_t {
    kMode = 1, kUid = 2, kGid = 4, kSize = 8, kAtime = 16, kMtime = 32,
    kAtimeNow = 64, kMtimeNow = 128,
  };
  uint32_t mask = 0;
  uint32_t mode = 0;  // permission bits (07777) only
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;
  timespec atime{};  // used with kAtime unless kAtimeNow
  timespec mtime{};  // used with kMtime unless kMtimeNow
};

struct StatFs {
  uint64_t type = 0;
  uint64_t bsize = 0;
  uint64_t blocks = 0;
  uint64_t bfree = 0;
  uint64_t bavail = 0;
  uint64_t files = 0;
  uint64_t ffree = 0;
  uint64_t namelen = 0;
  uint64_t frsize = 0;
  uint64_t flags = 0;
};

struct DirEntry {
  uint64_t ino = 0;
  uint8_t type = 0;  // DT_*
  std::string name;
};

// Appends little-endian fields to a fixed buffer. Overflow is sticky: once a
// field does not fit, ok() is false and nothing more is written.
class Writer {
 public:
  explicit Writer(std::span<uint8_t> buf) : buf_(buf) {}

  void U8(uint8_t v) { Raw(&v, sizeof(v)); }
  void U16(uint16_t v) { Raw(&v, sizeof(v)); }
  void U32(uint32_t v) { Raw(&v, sizeof(v)); }
  void I32(int32_t v) { Raw(&v, sizeof(v)); }
  void U64(uint64_t v) { Raw(&v, sizeof(v)); }
  void I64(int64_t v) { Raw(&v, sizeof(v)); }
  void Str(std::string_view s);
  void Bytes(std::span<const uint8_t> b) { Raw(b.data(), b.size()); }
  void Time(const timespec& t);
  void PutHeader(const Header& h);
  void PutStat(const Stat& s);
  void PutSetAttr(const SetAttr& a);
  void PutStatFs(const StatFs& s);

  bool ok() const { return ok_; }
  size_t size() const { return pos_; }
  size_t remaining() const { return buf_.size() - pos_; }

 private:
  void Raw(const void* p, size_t n) {
    if (!ok_ || n > buf_.size() - pos_) {
      ok_ = false;
      return;
    }
    if (n == 0) return;  // `p` may be null then
    std::memcpy(buf_.data() + pos_, p, n);
    pos_ += n;
  }

  std::span<uint8_t> buf_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Reads little-endian fields from untrusted bytes. Underflow is sticky: a
// read past the end yields zeros and makes ok() false, so a decoder reads
// every field and checks done() once.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> buf) : buf_(buf) {}

  uint8_t U8() { return Get<uint8_t>(); }
  uint16_t U16() { return Get<uint16_t>(); }
  uint32_t U32() { return Get<uint32_t>(); }
  int32_t I32() { return Get<int32_t>(); }
  uint64_t U64() { return Get<uint64_t>(); }
  int64_t I64() { return Get<int64_t>(); }
  // Views into the buffer; valid while it is.
  std::string_view Str();
  timespec Time();
  Header GetHeader();
  Stat GetStat();
  SetAttr GetSetAttr();
  StatFs GetStatFs();

  bool ok() const { return ok_; }
  // Every byte consumed and nothing read past the end.
  bool done() const { return ok_ && pos_ == buf_.size(); }
  size_t remaining() const { return buf_.size() - pos_; }
  std::span<const uint8_t> rest() const { return buf_.subspan(pos_); }

 private:
  template <typename T>
  T Get() {
    T v{};
    if (!ok_ || sizeof(T) > buf_.size() - pos_) {
      ok_ = false;
      return v;
    }
    std::memcpy(&v, buf_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::span<const uint8_t> buf_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Encoded sizes, for batching.
inline constexpr size_t kStatSize = 8 + 8 + 4 * 4 + 8 + 8 + 4 + 8 + 3 * 16;
inline size_t DirEntrySize(std::string_view name) { return 8 + 1 + 2 + name.size(); }

}  // namespace bulwark::gofer

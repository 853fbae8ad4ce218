// The sentry's side of the gofer protocol.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "gofer/protocol.h"

namespace bulwark::gofer {

struct WalkResult {
  uint64_t fid = 0;
  gofer::Stat stat;
};

struct CreateResult {
  uint64_t fid = 0;
  gofer::Stat stat;
  UniqueFd fd;  // opened with the Create flags
};

struct ReadDirResult {
  std::vector<DirEntry> entries;  // empty at the end of the directory
  uint64_t next_cookie = 0;
};

// Synchronous client: each call sends one request and waits for its reply.
// Thread-safe; calls are serialized. Errors are the gofer's errno for the
// operation; a broken connection or a malformed reply gives EIO (and every
// later call fails with EIO too).
class Client {
 public:
  explicit Client(UniqueFd sock) : sock_(std::move(sock)) {}
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // index 0 is the container root, i >= 1 the i-th bind mount.
  SysResult<WalkResult> Attach(uint32_t index);
  // `name` is one component; symlinks are not followed.
  SysResult<WalkResult> Walk(uint64_t dir, std::string_view name);
  SysResult<gofer::Stat> Stat(uint64_t fid);
  // flags: O_RDONLY/O_WRONLY/O_RDWR, O_TRUNC, O_APPEND, O_DIRECTORY,
  // O_NONBLOCK. Regular files and directories only (ENXIO otherwise).
  SysResult<UniqueFd> Open(uint64_t fid, int flags);
  // One batch from `cookie` (0 = start), without "." and "..".
  SysResult<ReadDirResult> ReadDir(uint64_t fid, uint64_t cookie);
  SysResult<std::vector<DirEntry>> ReadDirAll(uint64_t fid);
  SysResult<std::string> ReadLink(uint64_t fid);

  // Mutations; EROFS on a read-only attach point. `mode` is the final
  // permission bits (the caller applies its umask).
  // Always exclusive (EEXIST if `name` exists). flags: access mode, O_TRUNC,
  // O_APPEND, O_NONBLOCK, O_EXCL.
  SysResult<CreateResult> Create(uint64_t dir, std::string_view name, int flags, uint32_t mode,
                                 uint32_t uid, uint32_t gid);
  SysResult<WalkResult> Mkdir(uint64_t dir, std::string_view name, uint32_t mode, uint32_t uid,
                              uint32_t gid);
  // Not supported by the gofer: always fails (EPERM, or EROFS).
  SysResult<WalkResult> Mknod(uint64_t dir, std::string_view name, uint32_t mode, uint64_t rdev,
                              uint32_t uid, uint32_t gid);
  SysResult<WalkResult> Symlink(uint64_t dir, std::string_view name, std::string_view target,
                                uint32_t uid, uint32_t gid);
  // Returns the target's attributes after linking.
  SysResult<gofer::Stat> Link(uint64_t dir, std::string_view name, uint64_t target);
  // flags: 0 or AT_REMOVEDIR.
  SysResult<void> Unlink(uint64_t dir, std::string_view name, int flags);
  // flags: RENAME_NOREPLACE, RENAME_EXCHANGE.
  SysResult<void> Rename(uint64_t old_dir, std::string_view old_name, uint64_t new_dir,
                         std::string_view new_name, unsigned flags);
  // Returns the attributes after the change.
  SysResult<gofer::Stat> SetAttr(uint64_t fid, const gofer::SetAttr& attr);
  SysResult<void> Clunk(uint64_t fid);
  SysResult<gofer::StatFs> StatFs(uint64_t fid);

 private:
  struct Reply {
    std::span<const uint8_t> payload;  // into reply_buf_, valid under mu_
    UniqueFd fd;
  };

  // Sends the request built by `encode` (called with a Writer positioned
  // after the header) and receives its reply. Precondition: mu_ held.
  template <typename Encode>
  SysResult<Reply> Call(Op op, Encode&& encode);
  SysResult<Reply> RoundTrip(Op op, size_t payload_len);
  // Decodes {fid, Stat} from a reply.
  static SysResult<WalkResult> DecodeWalk(const Reply& reply);

  std::mutex mu_;
  UniqueFd sock_;
  uint32_t next_tag_ = 1;
  bool broken_ = false;
  std::vector<uint8_t> request_buf_ = std::vector<uint8_t>(kMaxMessage);
  std::vector<uint8_t> reply_buf_ = std::vector<uint8_t>(kMaxMessage);
};

}  // namespace bulwark::gofer

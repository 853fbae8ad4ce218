// The gofer's file server: serves one sentry over a SOCK_SEQPACKET socket.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "gofer/protocol.h"

namespace bulwark::gofer {

// A tree (or a single file) the sentry may attach to.
struct AttachPoint {
  UniqueFd fd;  // O_PATH of the directory or file
  // When `fd` is not a directory: O_PATH of its parent directory and its name
  // there, so that it can be opened without /proc. Unused otherwise.
  UniqueFd parent;
  std::string name;
  bool read_only = false;
};

// Opens `path` (a directory or a file; symlinks in it are followed: the path
// comes from the runtime, not from the container) as an attach point.
SysResult<AttachPoint> OpenAttachPoint(const char* path, bool read_only);

struct ServerOptions {
  size_t max_fids = size_t{1} << 20;  // further Attach/Walk/Create: ENFILE
};

// Serves file operations on `attach_points` to the peer of `sock`. The peer
// is untrusted: every request is bounds-checked and only ever names one
// component inside a tree reached from an attach point, so it cannot reach
// anything outside them. Symlinks are never followed.
//
// Single-threaded: one request at a time, in order. Every host call the
// server makes is on a local filesystem, and the client is synchronous, so
// there is nothing to overlap yet.
class Server {
 public:
  Server(std::vector<AttachPoint> attach_points, UniqueFd sock, ServerOptions options = {});
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves until the peer closes the socket (then returns success) or the
  // socket fails.
  SysResult<void> Serve();

 private:
  using SharedFd = std::shared_ptr<const UniqueFd>;

  struct Fid {
    SharedFd fd;      // O_PATH|O_NOFOLLOW of the file itself
    SharedFd parent;  // directory holding it; null for directory attach points
    std::string name;  // in `parent`
    uint32_t attach = 0;
    uint32_t type = 0;  // S_IFMT bits
    UniqueFd dir;       // O_DIRECTORY fd for ReadDir, opened on first use
  };

  // Builds the reply to one request in `out`; returns its length. Sets
  // `donate` when the reply carries an fd. `reject`: the transport already
  // found the message bad (too long, or carrying fds).
  size_t HandleMessage(std::span<const uint8_t> msg, std::optional<Errno> reject,
                       std::span<uint8_t> out, UniqueFd* donate);
  SysResult<void> Dispatch(uint32_t op, Reader& in, Writer& out, UniqueFd* donate);

  SysResult<void> DoAttach(Reader& in, Writer& out);
  SysResult<void> DoWalk(Reader& in, Writer& out);
  SysResult<void> DoStat(Reader& in, Writer& out);
  SysResult<void> DoOpen(Reader& in, Writer& out, UniqueFd* donate);
  SysResult<void> DoReadDir(Reader& in, Writer& out);
  SysResult<void> DoReadLink(Reader& in, Writer& out);
  SysResult<void> DoCreate(Reader& in, Writer& out, UniqueFd* donate);
  SysResult<void> DoMkdir(Reader& in, Writer& out);
  SysResult<void> DoMknod(Reader& in, Writer& out);
  SysResult<void> DoSymlink(Reader& in, Writer& out);
  SysResult<void> DoLink(Reader& in, Writer& out);
  SysResult<void> DoUnlink(Reader& in, Writer& out);
  SysResult<void> DoRename(Reader& in, Writer& out);
  SysResult<void> DoSetAttr(Reader& in, Writer& out);
  SysResult<void> DoClunk(Reader& in, Writer& out);
  SysResult<void> DoStatFs(Reader& in, Writer& out);

  SysResult<Fid*> Lookup(uint64_t fid);
  // Looks up a directory fid that may be modified.
  SysResult<Fid*> LookupWritableDir(uint64_t fid);
  SysResult<uint64_t> AddFid(Fid fid);
  // Opens `fid` with host open flags (O_NOFOLLOW and O_CLOEXEC added).
  SysResult<UniqueFd> OpenFid(const Fid& fid, int flags);
  // Adds `fd` (O_PATH, attributes `st`), named `name` in `dir`, as a new fid
  // of dir's attach point; writes the fid and its Stat to `out`.
  SysResult<void> AddChild(const Fid& dir, const std::string& name, UniqueFd fd,
                           const struct stat& st, Writer& out);

  std::vector<Fid> attach_points_;  // templates copied by Attach
  std::vector<bool> read_only_;
  UniqueFd sock_;
  ServerOptions options_;
  std::unordered_map<uint64_t, Fid> fids_;
  uint64_t next_fid_ = 1;
  std::vector<uint8_t> dirents_;  // ReadDir buffers, allocated on first use
  std::vector<uint8_t> entries_;
};

}  // namespace bulwark::gofer

#include "gofer/server.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "base/log.h"
#include "gofer/fs_util.h"
#include "gofer/socket.h"

namespace bulwark::gofer {
namespace {

// getdents64 buffer: its records are never smaller than our encoded entries,
// so a full buffer always fits in a ReadDir reply after its 12-byte prefix.
constexpr size_t kDirentBuffer = kMaxPayload - 12;

constexpr int kOpenFlags = O_ACCMODE | O_TRUNC | O_APPEND | O_DIRECTORY | O_NONBLOCK;

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

SysResult<AttachPoint> OpenAttachPoint(const char* path, bool read_only) {
  AttachPoint ap;
  ap.read_only = read_only;
  ap.fd.reset(::open(path, O_PATH | O_CLOEXEC));
  if (!ap.fd) return Err(HostErrno());
  struct stat st = TRY(StatFd(ap.fd.get()));
  if (S_ISDIR(st.st_mode)) return ap;

  // A file: keep its parent directory and name to open it later.
  char* real = ::realpath(path, nullptr);
  if (real == nullptr) return Err(HostErrno());
  std::string full(real);
  ::free(real);
  size_t slash = full.rfind('/');
  std::string dir = slash == 0 ? "/" : full.substr(0, slash);
  ap.name = full.substr(slash + 1);
  ap.parent.reset(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!ap.parent) return Err(HostErrno());
  auto [check_fd, check_st] = TRY(OpenPath(ap.parent.get(), ap.name));
  if (!SameFile(st, check_st)) return Err(kEstale);
  return ap;
}

Server::Server(std::vector<AttachPoint> attach_points, UniqueFd sock, ServerOptions options)
    : sock_(std::move(sock)), options_(options) {
  for (AttachPoint& ap : attach_points) {
    Fid fid;
    fid.fd = std::make_shared<const UniqueFd>(std::move(ap.fd));
    if (ap.parent) fid.parent = std::make_shared<const UniqueFd>(std::move(ap.parent));
    fid.name = std::move(ap.name);
    fid.attach = static_cast<uint32_t>(attach_points_.size());
    attach_points_.push_back(std::move(fid));
    read_only_.push_back(ap.read_only);
  }
}

SysResult<void> Server::Serve() {
  std::vector<uint8_t> in(kMaxMessage);
  std::vector<uint8_t> out(kMaxMessage);
  for (;;) {
    auto received = RecvMessage(sock_.get(), in);
    if (!received) {
      if (received.error() == Errno::kECONNRESET) return {};
      return Err(received.error());
    }
    if (received->eof) return {};
    size_t len = std::min(received->len, in.size());
    // Requests never carry fds; any that came are closed here.
    std::optional<Errno> reject;
    if (received->truncated) {
      reject = Errno::kEMSGSIZE;
    } else if (received->fd.valid() || received->extra_fds) {
      reject = Errno::kEINVAL;
    }
    received->fd.reset();
    UniqueFd donate;
    size_t reply_len = HandleMessage(std::span(in).first(len), reject, out, &donate);
    auto sent = SendMessage(sock_.get(), std::span(out).first(reply_len), donate.get());
    if (!sent) {
      if (sent.error() == Errno::kEPIPE || sent.error() == Errno::kECONNRESET) return {};
      return Err(sent.error());
    }
  }
}

size_t Server::HandleMessage(std::span<const uint8_t> msg, std::optional<Errno> reject,
                             std::span<uint8_t> out, UniqueFd* donate) {
  Header reply{kReplyBit, 0, 0, 0};
  Writer payload(out.subspan(kHeaderSize));
  SysResult<void> result;
  if (msg.size() < kHeaderSize) {
    result = Err(Errno::kEINVAL);
  } else {
    Reader reader(msg);
    Header req = reader.GetHeader();
    reply.op = req.op | kReplyBit;
    reply.tag = req.tag;
    if (reject) {
      result = Err(*reject);
    } else if (req.len != reader.remaining() || req.err != 0 || (req.op & kReplyBit) != 0) {
      result = Err(Errno::kEINVAL);
    } else {
      result = Dispatch(req.op, reader, payload, donate);
      if (result && !payload.ok()) result = Err(Errno::kEIO);
    }
  }
  if (!result) {
    LOG_DEBUG("request op %u: %s", reply.op & ~kReplyBit, ErrnoName(result.error()));
    reply.err = ToInt(result.error());
    donate->reset();
  } else {
    reply.len = static_cast<uint32_t>(payload.size());
  }
  Writer header(out.first(kHeaderSize));
  header.PutHeader(reply);
  return kHeaderSize + reply.len;
}

SysResult<void> Server::Dispatch(uint32_t op, Reader& in, Writer& out, UniqueFd* donate) {
  switch (static_cast<Op>(op)) {
    case Op::kAttach: return DoAttach(in, out);
    case Op::kWalk: return DoWalk(in, out);
    case Op::kStat: return DoStat(in, out);
    case Op::kOpen: return DoOpen(in, out, donate);
    case Op::kReadDir: return DoReadDir(in, out);
    case Op::kReadLink: return DoReadLink(in, out);
    case Op::kCreate: return DoCreate(in, out, donate);
    case Op::kMkdir: return DoMkdir(in, out);
    case Op::kMknod: return DoMknod(in, out);
    case Op::kSymlink: return DoSymlink(in, out);
    case Op::kLink: return DoLink(in, out);
    case Op::kUnlink: return DoUnlink(in, out);
    case Op::kRename: return DoRename(in, out);
    case Op::kSetAttr: return DoSetAttr(in, out);
    case Op::kClunk: return DoClunk(in, out);
    case Op::kStatFs: return DoStatFs(in, out);
  }
  return Err(Errno::kENOSYS);
}

SysResult<Server::Fid*> Server::Lookup(uint64_t fid) {
  auto it = fids_.find(fid);
  if (it == fids_.end()) return Err(Errno::kEBADF);
  return &it->second;
}

SysResult<Server::Fid*> Server::LookupWritableDir(uint64_t fid) {
  Fid* f = TRY(Lookup(fid));
  if (f->type != S_IFDIR) return Err(Errno::kENOTDIR);
  if (read_only_[f->attach]) return Err(Errno::kEROFS);
  return f;
}

SysResult<uint64_t> Server::AddFid(Fid fid) {
  if (fids_.size() >= options_.max_fids) return Err(Errno::kENFILE);
  uint64_t id = next_fid_++;
  fids_.emplace(id, std::move(fid));
  return id;
}

SysResult<void> Server::AddChild(const Fid& dir, const std::string& name, UniqueFd fd,
                                 const struct stat& st, Writer& out) {
  Fid child;
  child.fd = std::make_shared<const UniqueFd>(std::move(fd));
  child.parent = dir.fd;
  child.name = name;
  child.attach = dir.attach;
  child.type = st.st_mode & S_IFMT;
  uint64_t id = TRY(AddFid(std::move(child)));
  out.U64(id);
  out.PutStat(ToStat(st));
  return {};
}

SysResult<UniqueFd> Server::OpenFid(const Fid& fid, int flags) {
  // O_NONBLOCK keeps a FIFO swapped in under the name from blocking the
  // server; it is cleared again below unless asked for.
  int host_flags = flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  UniqueFd fd;
  if (fid.type == S_IFDIR) {
    fd.reset(::openat(fid.fd->get(), ".", host_flags));
  } else if (fid.parent) {
    fd.reset(::openat(fid.parent->get(), fid.name.c_str(), host_flags));
  } else {
    return Err(Errno::kEIO);
  }
  if (!fd) return Err(HostErrno());
  // A non-directory is reopened by name: make sure it is still the same file.
  struct stat opened = TRY(StatFd(fd.get()));
  struct stat expected = TRY(StatFd(fid.fd->get()));
  if (!SameFile(opened, expected)) return Err(kEstale);
  if ((flags & O_NONBLOCK) == 0) {
    int fl = ::fcntl(fd.get(), F_GETFL);
    if (fl < 0 || ::fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK) < 0) return Err(HostErrno());
  }
  return fd;
}

SysResult<void> Server::DoAttach(Reader& in, Writer& out) {
  uint32_t index = in.U32();
  if (!in.done()) return Err(Errno::kEINVAL);
  if (index >= attach_points_.size()) return Err(Errno::kENOENT);
  const Fid& ap = attach_points_[index];
  struct stat st = TRY(StatFd(ap.fd->get()));
  Fid fid;
  fid.fd = ap.fd;
  fid.parent = ap.parent;
  fid.name = ap.name;
  fid.attach = index;
  fid.type = st.st_mode & S_IFMT;
  uint64_t id = TRY(AddFid(std::move(fid)));
  out.U64(id);
  out.PutStat(ToStat(st));
  return {};
}

SysResult<void> Server::DoWalk(Reader& in, Writer& out) {
  uint64_t dir_id = in.U64();
  std::string_view name = in.Str();
  if (!in.done()) return Err(Errno::kEINVAL);
  Fid* dir = TRY(Lookup(dir_id));
  std::string checked = TRY(CheckName(name));
  if (dir->type != S_IFDIR) return Err(Errno::kENOTDIR);
  if (fids_.size() >= options_.max_fids) return Err(Errno::kENFILE);
  auto [fd, st] = TRY(OpenPath(dir->fd->get(), checked));
  return AddChild(*dir, checked, std::move(fd), st, out);
}

SysResult<void> Server::DoStat(Reader& in, Writer& out) {
  uint64_t id = in.U64();
  if (!in.done()) return Err(Errno::kEINVAL);
  Fid* fid = TRY(Lookup(id));
  struct stat st = TRY(StatFd(fid->fd->get()));
  out.PutStat(ToStat(st));
  return {};
}

SysResult<void> Server::DoOpen(Reader& in, Writer& out, UniqueFd* donate) {
  uint64_t id = in.U64();
  uint32_t flags = in.U32();
  if (!in.done()) return Err(Errno::kEINVAL);
  Fid* fid = TRY(Lookup(id));
  int oflags = static_cast<int>(flags);
  if ((oflags & ~kOpenFlags) != 0 || (oflags & O_ACCMODE) == O_ACCMODE) {
    return Err(Errno::kEINVAL);
  }
  bool writes = (oflags & O_ACCMODE) != O_RDONLY || (oflags & O_TRUNC) != 0;
  switch (fid->type) {
    case S_IFREG:
      if (oflags & O_DIRECTORY) return Err(Errno::kENOTDIR);
      break;
    case S_IFDIR:
      if (writes) return Err(Errno::kEISDIR);
      break;
    case S_IFLNK:
      return Err(Errno::kELOOP);
    default:
      // The sentry never passes host devices, FIFOs or sockets through.
      return Err(Errno::kENXIO);
  }
  if (writes && read_only_[fid->attach]) return Err(Errno::kEROFS);
  *donate = TRY(OpenFid(*fid, oflags));
  return {};
}

SysResult<void> Server::DoReadDir(Reader& in, Writer& out) {
  uint64_t id = in.U64();
  uint64_t cookie = in.U64();
  if (!in.done()) return Err(Errno::kEINVAL);
  Fid* fid = TRY(Lookup(id));
  if (fid->type != S_IFDIR) return Err(Errno::kENOTDIR);
  if (cookie > static_cast<uint64_t>(LLONG_MAX)) return Err(Errno::kEINVAL);
  if (!fid->dir) {
    fid->dir.reset(::openat(fid->fd->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fid->dir) return Err(HostErrno());
  }
  if (::lseek(fid->dir.get(), static_cast<off_t>(cookie), SEEK_SET) < 0) {
    return Err(HostErrno());
  }
  if (dirents_.empty()) {
    dirents_.resize(kDirentBuffer);
    entries_.resize(kDirentBuffer);
  }
  Writer entries(entries_);
  uint64_t next = cookie;
  uint32_t count = TRY(ReadDirents(fid->dir.get(), dirents_, entries, &next));
  out.U64(next);
  out.U32(count);
  out.Bytes(std::span(entries_).first(entries.size()));
  return {};
}

SysResult<void> Server::DoReadLink(Reader& in, Writer& out) {
  uint64_t id = in.U64();
  if (!in.done()) return Err(Errno::kEINVAL);
  Fid* fid = TRY(Lookup(id));
  if (fid->type != S_IFLNK) return Err(Errno::kEINVAL);
  char buf[kMaxSymlinkTarget + 1];
  ssize_t n = ::readlinkat(fid->fd->get(), "", buf, sizeof(buf));
  if (n < 0) return Err(HostErrno());
  if (static_cast<size_t>(n) > kMaxSymlinkTarget) return Err(Errno::kENAMETOOLONG);
  out.Str(std::string_view(buf, static_cast<size_t>(n)));
  return {};
}

SysResult<void> Server::DoClunk(Reader& in, Writer& out) {
  uint64_t id = in.U64();
  if (!in.done()) return Err(Errno::kEINVAL);
  if (fids_.erase(id) == 0) return Err(Errno::kEBADF);
  return {};
}

SysResult<void> Server::DoStatFs(Reader& in, Writer& out) {
  uint64_t id = in.U64();
  if (!in.done()) return Err(Errno::kEINVAL);
  Fid* fid = TRY(Lookup(id));
  struct statfs sf;
  if (::fstatfs(fid->fd->get(), &sf) < 0) return Err(HostErrno());
  StatFs s;
  s.type = static_cast<uint64_t>(sf.f_type);
  s.bsize = static_cast<uint64_t>(sf.f_bsize);
  s.blocks = sf.f_blocks;
  s.bfree = sf.f_bfree;
  s.bavail = sf.f_bavail;
  s.files = sf.f_files;
  s.ffree = sf.f_ffree;
  s.namelen = static_cast<uint64_t>(sf.f_namelen);
  s.frsize = static_cast<uint64_t>(sf.f_frsize);
  s.flags = static_cast<uint64_t>(sf.f_flags);
  out.PutStatFs(s);
  return {};
}

}  // namespace bulwark::gofer

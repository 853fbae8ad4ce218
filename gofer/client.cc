#include "gofer/client.h"

#include "gofer/socket.h"

namespace bulwark::gofer {
namespace {

constexpr int kMaxErrno = 4095;

}  // namespace

template <typename Encode>
SysResult<Client::Reply> Client::Call(Op op, Encode&& encode) {
  if (broken_) return Err(Errno::kEIO);
  Writer payload(std::span<uint8_t>(request_buf_).subspan(kHeaderSize));
  encode(payload);
  // Only strings vary in size; one too long for the wire is too long a name.
  if (!payload.ok()) return Err(Errno::kENAMETOOLONG);
  return RoundTrip(op, payload.size());
}

SysResult<Client::Reply> Client::RoundTrip(Op op, size_t payload_len) {
  uint32_t tag = next_tag_++;
  Writer header(std::span<uint8_t>(request_buf_).first(kHeaderSize));
  header.PutHeader({static_cast<uint32_t>(op), tag, static_cast<uint32_t>(payload_len), 0});
  if (!SendMessage(sock_.get(), std::span(request_buf_).first(kHeaderSize + payload_len))) {
    broken_ = true;
    return Err(Errno::kEIO);
  }
  auto received = RecvMessage(sock_.get(), reply_buf_);
  if (!received || received->eof || received->truncated || received->extra_fds) {
    broken_ = true;
    return Err(Errno::kEIO);
  }
  Reader reader(std::span<const uint8_t>(reply_buf_).first(std::min(received->len, reply_buf_.size())));
  Header h = reader.GetHeader();
  if (!reader.ok() || h.tag != tag || h.op != (static_cast<uint32_t>(op) | kReplyBit) ||
      h.len != reader.remaining() || h.err < 0 || h.err > kMaxErrno) {
    broken_ = true;
    return Err(Errno::kEIO);
  }
  if (h.err != 0) return Err(FromInt(h.err));
  return Reply{reader.rest(), std::move(received->fd)};
}

SysResult<WalkResult> Client::DecodeWalk(const Reply& reply) {
  Reader r(reply.payload);
  WalkResult result;
  result.fid = r.U64();
  result.stat = r.GetStat();
  if (!r.done()) return Err(Errno::kEIO);
  return result;
}

namespace {

SysResult<gofer::Stat> DecodeStat(std::span<const uint8_t> payload) {
  Reader r(payload);
  gofer::Stat st = r.GetStat();
  if (!r.done()) return Err(Errno::kEIO);
  return st;
}

SysResult<void> ExpectEmpty(std::span<const uint8_t> payload) {
  if (!payload.empty()) return Err(Errno::kEIO);
  return {};
}

}  // namespace

SysResult<WalkResult> Client::Attach(uint32_t index) {
  std::lock_guard lock(mu_);
  Reply reply = TRY(Call(Op::kAttach, [&](Writer& w) { w.U32(index); }));
  return DecodeWalk(reply);
}

SysResult<WalkResult> Client::Walk(uint64_t dir, std::string_view name) {
  std::lock_guard lock(mu_);
  Reply reply = TRY(Call(Op::kWalk, [&](Writer& w) {
    w.U64(dir);
    w.Str(name);
  }));
  return DecodeWalk(reply);
}

SysResult<gofer::Stat> Client::Stat(uint64_t fid) {
  std::lock_guard lock(mu_);
  Reply reply = TRY(Call(Op::kStat, [&](Writer& w) { w.U64(fid); }));
  return DecodeStat(reply.payload);
}

SysResult<UniqueFd> Client::Open(uint64_t fid, int flags) {
  std::lock_guard lock(mu_);
  Reply reply = TRY(Call(Op::kOpen, [&](Writer& w) {
    w.U64(fid);
    w.U32(static_cast<uint32_t>(flags));
  }));
  TRY(ExpectEmpty(reply.payload));
  if (!reply.fd) return Err(Errno::kEIO);
  return std::move(reply.fd);
}

SysResult<ReadDirResult> Client::ReadDir(uint64_t fid, uint64_t cookie) {
  std::lock_guard lock(mu_);
  Reply reply = TRY(Call(Op::kReadDir, [&](Writer& w) {
    w.U64(fid);
    w.U64(cookie);
  }));
  Reader r(reply.payload);
  ReadDirResult result;
  result.next_cookie = r.U64();
  uint32_t count = r.U32();
  // Each entry takes at least 11 bytes: bound the reservation by the reply.
  if (count > r.remaining() / DirEntrySize("")) return Err(Errno::kEIO);
  result.entries.reserve(count);
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    DirEntry e;
    e.ino = r.U64();
    e.type = r.U8();
    e.name = std::string(r.Str());
    result.entries.push_back(std::move(e));
  }
  if (!r.done()) return Err(Errno::kEIO);
  return result;
}

SysResult<std::vector<DirEntry>> Client::ReadDirAll(uint64_t fid) {
  std::vector<DirEntry> all;
  uint64_t cookie = 0;
  for (;;) {
    ReadDirResult batch = TRY(ReadDir(fid, cookie));
    if (batch.entries.empty()) return all;
    // Entries were read, so the offset moved; a gofer that says otherwise
    // would keep this loop going forever.
    if (batch.next_cookie == cookie) return Err(Errno::kEIO);
    for (DirEntry& e : batch.entries) all.push_back(std::move(e));
    cookie = batch.next_cookie;
  }
}

SysResult<std::string> Client::ReadLink(uint64_t fid) {
  std::lock_guard lock(mu_);
  Reply reply = TRY(Call(Op::kReadLink, [&](Writer& w) { w.U64(fid); }));
  Reader r(reply.payload);
  std::string target(r.Str());
  if (!r.done()) return Err(Errno::kEIO);
  return target;
}

SysResult<CreateResult> Client::Create(uint64_t dir, std::string_view name, int flags,
                                       uint32_t mode, uint32_t uid, uint32_t gid) {
  std::lock_guard lock(mu_);
  Reply reply = TRY(Call(Op::kCreate, [&](Writer& w) {
    w.U64(dir);
    w.Str(name);
    w.U32(static_cast<uint32_t>(flags));
    w.U32(mode);
    w.U32(uid);
    w.U32(gid);
  }));
  WalkResult walk = TRY(DecodeWalk(reply));
  if (!reply.fd) return Err(Errno::kEIO);
  return CreateResult{walk.fid, walk.stat, std::move(reply.fd)};
}

SysResult<WalkResult> Client::Mkdir(uint64_t dir, std::string_view name, uint32_t mode,
                                    uint32_t uid, uint32_t gid) {
  std::lock_guard lock(mu_);
  Reply reply = TRY(Call(Op::kMkdir, [&](Writer& w) {
    w.U64(dir);
    w.Str(name);
    w.U32(mode);
    w.U32(uid);
    w.U32(gid);
  }));
  return DecodeWalk(reply);
}

SysResult<WalkResult> Client::Mknod(uint64_t dir, std::string_view name, uint32_t mode,
                                    uint64_t rdev, uint32_t uid, uint32_t gid) {
  std::lock_guard lock(mu_);
  Reply reply = TRY(Call(Op::kMknod, [&](Writer& w) {
    w.U64(dir);
    w.Str(name);
    w.U32(mode);
    w.U64(rdev);
    w.U32(uid);
    w.U32(gid);
  }));
  return DecodeWalk(reply);
}

SysResult<WalkResult> Client::Symlink(uint64_t dir, std::string_view name,
                                      std::string_view target, uint32_t uid, uint32_t gid) {
  std::lock_guard lock(mu_);
  Reply reply = TRY(Call(Op::kSymlink, [&](Writer& w) {
    w.U64(dir);
    w.Str(name);
    w.Str(target);
    w.U32(uid);
    w.U32(gid);
  }));
  return DecodeWalk(reply);
}

SysResult<gofer::Stat> Client::Link(uint64_t dir, std::string_view name, uint64_t target) {
  std::lock_guard lock(mu_);
  Reply reply = TRY(Call(Op::kLink, [&](Writer& w) {
    w.U64(dir);
    w.Str(name);
    w.U64(target);
  }));
  return DecodeStat(reply.payload);
}

SysResult<void> Client::Unlink(uint64_t dir, std::string_view name, int flags) {
  std::lock_guard lock(mu_);
  Reply reply = TRY(Call(Op::kUnlink, [&](Writer& w) {
    w.U64(dir);
    w.Str(name);
    w.U32(static_cast<uint32_t>(flags));
  }));
  return ExpectEmpty(reply.payload);
}

SysResult<void> Client::Rename(uint64_t old_dir, std::string_view old_name, uint64_t new_dir,
                               std::string_view new_name, unsigned flags) {
  std::lock_guard lock(mu_);
  Reply reply = TRY(Call(Op::kRename, [&](Writer& w) {
    w.U64(old_dir);
    w.Str(old_name);
    w.U64(new_dir);
    w.Str(new_name);
    w.U32(flags);
  }));
  return ExpectEmpty(reply.payload);
}

SysResult<gofer::Stat> Client::SetAttr(uint64_t fid, const gofer::SetAttr& attr) {
  std::lock_guard lock(mu_);
  Reply reply = TRY(Call(Op::kSetAttr, [&](Writer& w) {
    w.U64(fid);
    w.PutSetAttr(attr);
  }));
  return DecodeStat(reply.payload);
}

SysResult<void> Client::Clunk(uint64_t fid) {
  std::lock_guard lock(mu_);
  Reply reply = TRY(Call(Op::kClunk, [&](Writer& w) { w.U64(fid); }));
  return ExpectEmpty(reply.payload);
}

SysResult<gofer::StatFs> Client::StatFs(uint64_t fid) {
  std::lock_guard lock(mu_);
  Reply reply = TRY(Call(Op::kStatFs, [&](Writer& w) { w.U64(fid); }));
  Reader r(reply.payload);
  gofer::StatFs s = r.GetStatFs();
  if (!r.done()) return Err(Errno::kEIO);
  return s;
}

}  // namespace bulwark::gofer

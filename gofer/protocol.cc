#include "gofer/protocol.h"

#include <limits>

namespace bulwark::gofer {

void Writer::Str(std::string_view s) {
  if (s.size() > std::numeric_limits<uint16_t>::max()) {
    ok_ = false;
    return;
  }
  U16(static_cast<uint16_t>(s.size()));
  Raw(s.data(), s.size());
}

void Writer::Time(const timespec& t) {
  I64(t.tv_sec);
  I64(t.tv_nsec);
}

void Writer::PutHeader(const Header& h) {
  U32(h.op);
  U32(h.tag);
  U32(h.len);
  I32(h.err);
}

void Writer::PutStat(const Stat& s) {
  U64(s.dev);
  U64(s.ino);
  U32(s.mode);
  U32(s.nlink);
  U32(s.uid);
  U32(s.gid);
  U64(s.rdev);
  U64(s.size);
  U32(s.blksize);
  U64(s.blocks);
  Time(s.atime);
  Time(s.mtime);
  Time(s.ctime);
}

void Writer::PutSetAttr(const SetAttr& a) {
  U32(a.mask);
  U32(a.mode);
  U32(a.uid);
  U32(a.gid);
  U64(a.size);
  Time(a.atime);
  Time(a.mtime);
}

void Writer::PutStatFs(const StatFs& s) {
  for (uint64_t v : {s.type, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree,
                     s.namelen, s.frsize, s.flags}) {
    U64(v);
  }
}

std::string_view Reader::Str() {
  uint16_t n = U16();
  if (!ok_ || n > buf_.size() - pos_) {
    ok_ = false;
    return {};
  }
  // SAFETY: bytes are reinterpreted as chars; [pos_, pos_ + n) is in bounds.
  std::string_view s(reinterpret_cast<const char*>(buf_.data() + pos_), n);
  pos_ += n;
  return s;
}

timespec Reader::Time() {
  timespec t{};
  t.tv_sec = I64();
  t.tv_nsec = I64();
  return t;
}

Header Reader::GetHeader() {
  Header h;
  h.op = U32();
  h.tag = U32();
  h.len = U32();
  h.err = I32();
  return h;
}

Stat Reader::GetStat() {
  Stat s;
  s.dev = U64();
  s.ino = U64();
  s.mode = U32();
  s.nlink = U32();
  s.uid = U32();
  s.gid = U32();
  s.rdev = U64();
  s.size = U64();
  s.blksize = U32();
  s.blocks = U64();
  s.atime = Time();
  s.mtime = Time();
  s.ctime = Time();
  return s;
}

SetAttr Reader::GetSetAttr() {
  SetAttr a;
  a.mask = U32();
  a.mode = U32();
  a.uid = U32();
  a.gid = U32();
  a.size = U64();
  a.atime = Time();
  a.mtime = Time();
  return a;
}

StatFs Reader::GetStatFs() {
  StatFs s;
  for (uint64_t* v : {&s.type, &s.bsize, &s.blocks, &s.bfree, &s.bavail, &s.files,
                      &s.ffree, &s.namelen, &s.frsize, &s.flags}) {
    *v = U64();
  }
  return s;
}

}  // namespace bulwark::gofer

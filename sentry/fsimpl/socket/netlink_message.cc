#include "sentry/fsimpl/socket/netlink_message.h"

#include <cstring>

namespace bulwark::fsimpl::socket::netlink {

namespace {

constexpr size_t kHdrLen = NLMSG_HDRLEN;

void PadTo4(std::vector<uint8_t>& b) { b.resize(NLMSG_ALIGN(b.size()), 0); }

}  // namespace

void MessageBuilder::Begin(uint16_t type, uint16_t flags, uint32_t seq, uint32_t portid) {
  End();
  nlmsghdr h{};
  h.nlmsg_type = type;
  h.nlmsg_flags = flags;
  h.nlmsg_seq = seq;
  h.nlmsg_pid = portid;
  cur_.assign(kHdrLen, 0);
  memcpy(cur_.data(), &h, sizeof(h));
  open_ = true;
}

void MessageBuilder::Put(const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  cur_.insert(cur_.end(), p, p + n);
  PadTo4(cur_);
}

void MessageBuilder::Attr(uint16_t type, const void* data, size_t n) {
  nlattr a{};
  a.nla_len = static_cast<uint16_t>(NLA_HDRLEN + n);
  a.nla_type = type;
  const auto* h = reinterpret_cast<const uint8_t*>(&a);
  cur_.insert(cur_.end(), h, h + sizeof(a));
  const auto* p = static_cast<const uint8_t*>(data);
  if (n > 0) cur_.insert(cur_.end(), p, p + n);
  PadTo4(cur_);
}

void MessageBuilder::AttrStr(uint16_t type, std::string_view s) {
  std::vector<uint8_t> b(s.begin(), s.end());
  b.push_back(0);
  Attr(type, b.data(), b.size());
}

size_t MessageBuilder::BeginNested(uint16_t type) {
  size_t start = cur_.size();
  Attr(type, nullptr, 0);
  return start;
}

void MessageBuilder::EndNested(size_t start) {
  uint16_t len = static_cast<uint16_t>(cur_.size() - start);
  memcpy(cur_.data() + start + offsetof(nlattr, nla_len), &len, sizeof(len));
}

void MessageBuilder::End() {
  if (!open_) return;
  uint32_t len = static_cast<uint32_t>(cur_.size());
  memcpy(cur_.data() + offsetof(nlmsghdr, nlmsg_len), &len, sizeof(len));
  done_.push_back(std::move(cur_));
  cur_.clear();
  open_ = false;
}

std::vector<std::vector<uint8_t>> MessageBuilder::TakeMessages() {
  End();
  return std::move(done_);
}

std::vector<Request> SplitRequests(std::span<const uint8_t> buf) {
  std::vector<Request> out;
  size_t off = 0;
  while (buf.size() - off >= kHdrLen) {
    Request r;
    memcpy(&r.hdr, buf.data() + off, sizeof(r.hdr));
    size_t left = buf.size() - off;
    if (r.hdr.nlmsg_len < kHdrLen || r.hdr.nlmsg_len > left) break;
    r.whole = buf.subspan(off, r.hdr.nlmsg_len);
    r.payload = r.whole.subspan(kHdrLen);
    out.push_back(r);
    off += std::min<size_t>(NLMSG_ALIGN(r.hdr.nlmsg_len), left);
  }
  return out;
}

std::map<uint16_t, std::span<const uint8_t>> ParseAttrs(std::span<const uint8_t> payload,
                                                        size_t fixed) {
  std::map<uint16_t, std::span<const uint8_t>> out;
  size_t off = NLMSG_ALIGN(fixed);
  while (off + NLA_HDRLEN <= payload.size()) {
    nlattr a;
    memcpy(&a, payload.data() + off, sizeof(a));
    if (a.nla_len < NLA_HDRLEN || a.nla_len > payload.size() - off) break;
    out[a.nla_type & NLA_TYPE_MASK] = payload.subspan(off + NLA_HDRLEN, a.nla_len - NLA_HDRLEN);
    off += NLA_ALIGN(a.nla_len);
  }
  return out;
}

std::vector<uint8_t> ErrorMessage(const Request& req, int err, uint32_t portid, bool cap_ack) {
  bool echo_all = err != 0 && !cap_ack;
  MessageBuilder b;
  b.Begin(NLMSG_ERROR, echo_all ? 0 : NLM_F_CAPPED, req.hdr.nlmsg_seq, portid);
  b.Put(&err, sizeof(err));
  if (echo_all)
    b.Put(req.whole.data(), req.whole.size());
  else
    b.Put(req.whole.data(), NLMSG_HDRLEN);
  return std::move(b.TakeMessages().front());
}

std::vector<uint8_t> DoneMessage(uint32_t seq, uint32_t portid) {
  MessageBuilder b;
  b.Begin(NLMSG_DONE, NLM_F_MULTI, seq, portid);
  int zero = 0;
  b.Put(&zero, sizeof(zero));
  return std::move(b.TakeMessages().front());
}

}  // namespace bulwark::fsimpl::socket::netlink

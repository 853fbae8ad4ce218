// Netlink message framing (netlink(7), <linux/netlink.h>): building replies
// with their NLMSG_ALIGN/NLA_ALIGN padding, splitting what an application
// sent into requests as netlink_rcv_skb() does, and parsing attributes.
// Protocol-independent; the NETLINK_ROUTE answers are in netlink_route.h.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <map>
#include <span>
#include <string_view>
#include <vector>

namespace bulwark::fsimpl::socket::netlink {

// Appends messages, each a header, a fixed part and attributes.
class MessageBuilder {
 public:
  // Starts a message; ends the previous one.
  void Begin(uint16_t type, uint16_t flags, uint32_t seq, uint32_t portid);
  // The fixed part (ifinfomsg, ifaddrmsg, rtmsg, ...), padded.
  void Put(const void* data, size_t n);
  template <typename T>
  void PutStruct(const T& v) {
    Put(&v, sizeof(v));
  }
  void Attr(uint16_t type, const void* data, size_t n);
  void AttrU8(uint16_t type, uint8_t v) { Attr(type, &v, 1); }
  void AttrU16(uint16_t type, uint16_t v) { Attr(type, &v, 2); }
  void AttrU32(uint16_t type, uint32_t v) { Attr(type, &v, 4); }
  // A NUL-terminated string attribute.
  void AttrStr(uint16_t type, std::string_view s);
  // A nested attribute: attributes added until EndNested() are its
  // payload. `type` includes NLA_F_NESTED where Linux sets it
  // (nla_nest_start(), not nla_nest_start_noflag()). Returns the offset to
  // pass to EndNested.
  size_t BeginNested(uint16_t type);
  void EndNested(size_t start);
  // Ends the current message (sets nlmsg_len). Safe to call twice.
  void End();
  // The messages built so far, each a separate buffer.
  std::vector<std::vector<uint8_t>> TakeMessages();

 private:
  std::vector<std::vector<uint8_t>> done_;
  std::vector<uint8_t> cur_;
  bool open_ = false;
};

// One request of a sent buffer: its header and payload (the bytes after
// the header up to nlmsg_len), and the whole message for echoing in an
// NLMSG_ERROR.
struct Request {
  nlmsghdr hdr;
  std::span<const uint8_t> payload;
  std::span<const uint8_t> whole;
};

// netlink_rcv_skb()'s framing: messages while at least a header is left;
// the first whose nlmsg_len is below the header size or beyond the buffer
// ends the walk silently (Linux neither answers nor fails the send).
std::vector<Request> SplitRequests(std::span<const uint8_t> buf);

// nla_parse() after `fixed` bytes of the payload (aligned): type → payload,
// a later attribute of the same type overriding an earlier one. Parsing
// stops at the first malformed attribute (the deprecated, non-strict
// parser ignores trailing garbage).
std::map<uint16_t, std::span<const uint8_t>> ParseAttrs(std::span<const uint8_t> payload,
                                                        size_t fixed);

// netlink_ack(): an NLMSG_ERROR answering `req` with `err` (0 or a
// negative errno), addressed to `portid`. The request is echoed whole for
// an error unless `cap_ack` (NETLINK_CAP_ACK); an ACK (err 0) or a capped
// error echoes the header only and sets NLM_F_CAPPED.
std::vector<uint8_t> ErrorMessage(const Request& req, int err, uint32_t portid, bool cap_ack);

// The NLMSG_DONE that ends a dump: NLM_F_MULTI, an int 0 as payload.
std::vector<uint8_t> DoneMessage(uint32_t seq, uint32_t portid);

}  // namespace bulwark::fsimpl::socket::netlink

#include "sentry/control/protocol.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace bulwark::control {

namespace {

Result<void> SendRaw(int sock, const std::string& json, const int* fds, size_t nfds) {
  if (json.empty()) return MakeError("control message: empty", EINVAL);
  if (json.size() > kMaxMessage)
    return MakeError("control message: " + std::to_string(json.size()) + " bytes exceeds the limit of " +
                         std::to_string(kMaxMessage),
                     EMSGSIZE);
  if (nfds > static_cast<size_t>(kMaxFds))
    return MakeError("control message: " + std::to_string(nfds) + " fds exceed the limit of " +
                         std::to_string(kMaxFds),
                     EINVAL);
  iovec iov{const_cast<char*>(json.data()), json.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * kMaxFds)];
  if (nfds > 0) {
    msg.msg_control = cbuf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
  }
  ssize_t n;
  do n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) return HostError("control message: send");
  if (static_cast<size_t>(n) != json.size()) return MakeError("control message: short send", EIO);
  return {};
}

}  // namespace

Result<void> SendMessage(int sock, const Message& m) {
  std::vector<int> fds;
  for (const auto& f : m.fds) fds.push_back(f.get());
  return SendRaw(sock, m.json, fds.data(), fds.size());
}

Result<void> SendJson(int sock, const nlohmann::json& v, const std::vector<int>& fds) {
  // Invalid UTF-8 in strings is replaced rather than throwing.
  std::string text = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return SendRaw(sock, text, fds.data(), fds.size());
}

Result<Message> ReceiveMessage(int sock) {
  Message m;
  // One byte more than the limit tells an oversized message from a full one.
  m.json.resize(kMaxMessage + 1);
  iovec iov{m.json.data(), m.json.size()};
  // Room for more fds than allowed, so that extra fds are received (and
  // closed) rather than silently dropped by the kernel.
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * (kMaxFds + 16))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof(cbuf);
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return HostError("control message: receive");
  std::vector<UniqueFd> fds;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      fds.emplace_back(fd);
    }
  }
  if (n == 0) return MakeError("control message: connection closed", ECONNRESET);
  if (msg.msg_flags & MSG_CTRUNC) return MakeError("control message: too many fds", EINVAL);
  if (fds.size() > static_cast<size_t>(kMaxFds))
    return MakeError("control message: " + std::to_string(fds.size()) + " fds exceed the limit of " +
                         std::to_string(kMaxFds),
                     EINVAL);
  if ((msg.msg_flags & MSG_TRUNC) || static_cast<size_t>(n) > kMaxMessage)
    return MakeError("control message: larger than " + std::to_string(kMaxMessage) + " bytes",
                     EMSGSIZE);
  m.json.resize(static_cast<size_t>(n));
  m.json.shrink_to_fit();
  m.fds = std::move(fds);
  return m;
}

Result<nlohmann::json> ParseObject(const std::string& text) {
  // The callback-free, non-throwing parse returns a "discarded" value on a
  // syntax error; parse again through sax-less accept to find the byte.
  nlohmann::json v = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) {
    // Locate the error: the longest prefix nlohmann accepts is not exposed
    // without exceptions, so report the size and a short excerpt.
    std::string excerpt = text.substr(0, 40);
    for (char& c : excerpt)
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    return MakeError("control message: bad JSON (" + std::to_string(text.size()) +
                         " bytes starting \"" + excerpt + "\")",
                     EINVAL);
  }
  if (!v.is_object()) return MakeError("control message: not a JSON object", EINVAL);
  return v;
}

}  // namespace bulwark::control

// libFuzzer target: the gofer server's request decoding and handling, fed
// through its socket as the sentry would (the gofer treats every message as
// hostile). The input is a sequence of messages:
//   u8 flags, u16 length (little-endian), `length` bytes
// With flags bit 0 clear, the header's len and err fields are fixed up to
// match (so that mutations reach the op decoders); with it set, the bytes
// go out as they are. Every request gets a reply; donated fds are closed.
//
// The attach points are read-only (a fixture directory and a file in it):
// mutations are decoded and then refused with EROFS, so an input cannot
// make FIFOs or fill the disk.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "gofer/protocol.h"
#include "gofer/server.h"
#include "gofer/socket.h"

namespace gofer = bulwark::gofer;

namespace {

std::string fixture;  // directory served as attach point 0

void MakeFixture() {
  char tmpl[] = "/tmp/bulwark-fuzz-gofer-XXXXXX";
  if (!mkdtemp(tmpl)) abort();
  fixture = tmpl;
  std::string d = fixture;
  if (mkdir((d + "/dir").c_str(), 0755) != 0) abort();
  int fd = open((d + "/file").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, "contents\n", 9) != 9) abort();
  close(fd);
  fd = open((d + "/dir/inner").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  close(fd);
  // Links that lead out of the root: walks must not follow them.
  if (symlink("/etc/passwd", (d + "/abs-link").c_str()) != 0) abort();
  if (symlink("../../../etc", (d + "/rel-link").c_str()) != 0) abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  MakeFixture();
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(fixture, ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) abort();
  std::vector<gofer::AttachPoint> aps;
  auto root = gofer::OpenAttachPoint(fixture.c_str(), true);
  auto file = gofer::OpenAttachPoint((fixture + "/file").c_str(), true);
  if (!root || !file) abort();
  aps.push_back(std::move(*root));
  aps.push_back(std::move(*file));
  std::thread server([&aps, fd = sv[1]] {
    gofer::Server s(std::move(aps), bulwark::UniqueFd(fd), gofer::ServerOptions{1024});
    (void)s.Serve();
  });

  std::vector<uint8_t> msg, reply(gofer::kMaxMessage);
  size_t pos = 0;
  while (pos + 3 <= size) {
    uint8_t flags = data[pos];
    size_t len = data[pos + 1] | (size_t{data[pos + 2]} << 8);
    pos += 3;
    len = std::min(len, size - pos);
    msg.assign(data + pos, data + pos + len);
    pos += len;
    if (msg.empty()) continue;  // a zero-length message reads as EOF
    if (!(flags & 1) && msg.size() >= gofer::kHeaderSize) {
      uint32_t payload = static_cast<uint32_t>(msg.size() - gofer::kHeaderSize);
      std::memcpy(msg.data() + 8, &payload, 4);
      std::memset(msg.data() + 12, 0, 4);
    }
    if (!gofer::SendMessage(sv[0], msg)) break;
    auto got = gofer::RecvMessage(sv[0], reply);
    if (!got || got->eof) break;
    // got->fd closes itself.
  }
  shutdown(sv[0], SHUT_RDWR);
  server.join();
  close(sv[0]);
  return 0;
}

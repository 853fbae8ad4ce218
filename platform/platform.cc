#include "platform/platform.h"

#include <cstring>
#include <map>

namespace bulwark::platform {
namespace {

std::map<std::string, Factory>& Registry() {
  static auto* registry = new std::map<std::string, Factory>();
  return *registry;
}

}  // namespace

void FpState::Reset() {
  std::memset(bytes, 0, sizeof(bytes));
  // fxsave layout: FCW at 0, MXCSR at 24 (Intel SDM vol. 1, 10.5.1).
  uint16_t fcw = 0x37f;
  uint32_t mxcsr = 0x1f80;
  std::memcpy(bytes + 0, &fcw, sizeof(fcw));
  std::memcpy(bytes + 24, &mxcsr, sizeof(mxcsr));
}

bool Register(const std::string& name, Factory factory) {
  Registry()[name] = std::move(factory);
  return true;
}

Result<std::unique_ptr<Platform>> Create(const std::string& name, int memory_file_fd) {
  auto it = Registry().find(name);
  if (it == Registry().end()) {
    std::string known;
    for (auto& [n, f] : Registry()) known += (known.empty() ? "" : ", ") + n;
    return MakeError("--platform=" + name + ": unknown platform (available: " + known + ")");
  }
  return it->second(memory_file_fd);
}

std::vector<std::string> Names() {
  std::vector<std::string> names;
  for (auto& [n, f] : Registry()) names.push_back(n);
  return names;
}

}  // namespace bulwark::platform

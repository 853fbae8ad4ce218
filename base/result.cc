#include "base/result.h"

#include <cerrno>
#include <cstring>

namespace bulwark {

std::unexpected<Error> HostError(const std::string& what) {
  int e = errno;
  return MakeError(what + ": " + strerror(e), e);
}

}  // namespace bulwark

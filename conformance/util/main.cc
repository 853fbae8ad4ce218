// main() of every conformance binary: helper modes first, then the tests.
#include "util/test_util.h"

namespace conformance {
void SetSelfPath(const char* argv0);
}

// Exit status of a binary started with an empty argv (execve(path, NULL, ...)).
constexpr int kEmptyArgvStatus = 77;

int main(int argc, char** argv) {
  if (argc < 1 || argv[0] == nullptr || argv[0][0] == '\0') return kEmptyArgvStatus;
  conformance::SetSelfPath(argv[0]);
  bool handled = false;
  int code = conformance::RunChildMode(argc, argv, &handled);
  if (handled) return code;
  ::testing::InitGoogleMock(&argc, argv);
  return RUN_ALL_TESTS();
}

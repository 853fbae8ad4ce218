// `bulwark --version` / `bulwark version`: runc-style lines that go-runc and
// podman parse.
#include <cstdio>

#include "runtime/cli/cli.h"
#include "runtime/version.h"

namespace bulwark::runtime::cli {

int VersionMain(Invocation& inv) {
  printf("bulwark version %s\ncommit: %s\nspec: %s\n", kVersion, kCommit, kSpecVersion);
  return 0;
}

}  // namespace bulwark::runtime::cli

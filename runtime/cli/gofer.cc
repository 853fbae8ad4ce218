// `bulwark gofer ...`: the file server (internal; started by the runtime,
// see gofer/gofer_main.h).
#include "gofer/gofer_main.h"
#include "runtime/cli/cli.h"

namespace bulwark::runtime::cli {

int GoferCommandMain(Invocation& inv) { return gofer::GoferMain(inv.argc, inv.argv); }

}  // namespace bulwark::runtime::cli

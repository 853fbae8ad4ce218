// `bulwark boot ...`: the sentry (internal; started by the runtime in the
// sandbox's namespaces, see sentry/boot.h).
#include "runtime/cli/cli.h"
#include "sentry/boot.h"

namespace bulwark::runtime::cli {

int BootCommandMain(Invocation& inv) { return sentry::BootMain(inv.argc, inv.argv); }

}  // namespace bulwark::runtime::cli

// OCI lifecycle hooks, run on the host by the runtime with the container's
// state JSON on stdin (runtime-spec config.md "POSIX-platform Hooks").
//
// Deliberate difference from runc: createContainer and startContainer run
// in the runtime's namespaces, not in the container's, because a sandboxed
// container has no host namespaces a host binary could enter (runsc does
// the same). They run at the same moments: createContainer at the end of
// `create`, startContainer in `start` just before init is let go.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"

namespace bulwark::runtime {

// For keeping hooks in state.json between commands.
std::string HooksToJson(const oci::Hooks& hooks);
Result<oci::Hooks> HooksFromJson(std::string_view text);  // "" -> no hooks

// Runs `hooks` in order; the first failure stops the rest. `kind` names the
// hook in errors, which follow runc: `error running createRuntime hook #0:
// exit status 1, stdout: ..., stderr: ...`. A hook with a timeout is
// SIGKILLed when it runs longer.
Result<void> RunHooks(std::string_view kind, const std::vector<oci::Hook>& hooks,
                      const std::string& state_json);

// The same, for hooks whose failure only warns (poststart, poststop): each
// failure is printed as one "bulwark: warning: ..." line on stderr, and the
// remaining hooks still run.
void RunHooksWarnOnly(std::string_view kind, const std::vector<oci::Hook>& hooks,
                      const std::string& state_json);

}  // namespace bulwark::runtime

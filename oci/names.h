// The closed sets of names that config.json may use, and their Linux values.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace bulwark::oci {

// "CAP_CHOWN" .. "CAP_CHECKPOINT_RESTORE", indexed by capability number.
std::span<const std::string_view> CapabilityNames();
std::optional<int> CapabilityNumber(std::string_view name);

// "RLIMIT_CPU" .. "RLIMIT_RTTIME", indexed by resource number.
std::span<const std::string_view> RlimitNames();
std::optional<int> RlimitResource(std::string_view name);

// "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time".
bool IsNamespaceType(std::string_view type);
// The CLONE_NEW* flag of a valid namespace type, 0 for an unknown one.
int NamespaceCloneFlag(std::string_view type);

// "SCMP_ACT_*" and "SCMP_CMP_*" names from the runtime-spec.
bool IsSeccompAction(std::string_view name);
bool IsSeccompOperator(std::string_view name);

// "private", "shared", "slave", "unbindable" and their recursive "r" forms.
bool IsRootfsPropagation(std::string_view mode);

}  // namespace bulwark::oci

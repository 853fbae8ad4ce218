// Internal to oci/: the parsers of the larger sections of config.json.
#pragma once

#include "oci/json_fields.h"
#include "oci/spec.h"

namespace bulwark::oci::internal {

// `process`, at path "process".
Result<Process> ParseProcess(const Json& v);
// `linux`, at path "linux".
Result<Linux> ParseLinux(const Json& v);

}  // namespace bulwark::oci::internal

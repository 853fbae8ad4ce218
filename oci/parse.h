// Reading and checking a bundle's config.json.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"

namespace bulwark::oci {

// Parses and validates config.json text. Never throws. Errors are one line,
// "config.json: <json path>: <problem>", e.g.
// "config.json: mounts[2].destination: must be an absolute path".
// Unknown members are ignored, as the runtime-spec requires; known members
// of the wrong JSON type are errors. Requires `process`, unlike the spec,
// because every bulwark container runs one.
Result<Spec> ParseSpec(std::string_view json_text);

// Reads and parses <bundle_dir>/config.json.
Result<Spec> LoadSpec(const std::string& bundle_dir);

// root.path, made relative to bundle_dir when it is not absolute.
std::string ResolveRootPath(const Spec& spec, const std::string& bundle_dir);

// The bind mounts of spec.mounts, in spec order: the gofer's attach point
// i+1 serves GoferMounts(spec)[i] (attach point 0 is the root).
std::vector<const Mount*> GoferMounts(const Spec& spec);

// The starter config.json that `bulwark spec` writes: runc's default, with
// hostname "bulwark".
nlohmann::json DefaultSpecJson();

}  // namespace bulwark::oci

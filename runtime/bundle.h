// An OCI bundle, loaded and checked before anything is created on the host.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"

namespace bulwark::runtime {

// A bind mount the gofer serves, in oci::GoferMounts order.
struct GoferMount {
  std::string source;  // absolute host path
  bool readonly = false;
};

struct Bundle {
  std::string dir;          // absolute
  std::string config_json;  // the exact bytes that were validated
  oci::Spec spec;
  std::string rootfs;       // absolute host path of root.path
  std::vector<GoferMount> gofer_mounts;
};

// Reads and validates `<dir>/config.json`, and checks what the host must
// provide: the rootfs is a directory, every bind-mount source exists.
// Errors are one line naming the problem, e.g.
// "rootfs /b/rootfs: No such file or directory".
Result<Bundle> LoadBundle(const std::string& dir);

}  // namespace bulwark::runtime

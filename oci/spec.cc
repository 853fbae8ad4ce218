#include "oci/spec.h"

namespace bulwark::oci {

bool Mount::IsBind() const {
  if (type == "bind") return true;
  for (const std::string& option : options) {
    if (option == "bind" || option == "rbind") return true;
  }
  return false;
}

const Namespace* Linux::FindNamespace(const std::string& type) const {
  for (const Namespace& ns : namespaces) {
    if (ns.type == type) return &ns;
  }
  return nullptr;
}

}  // namespace bulwark::oci

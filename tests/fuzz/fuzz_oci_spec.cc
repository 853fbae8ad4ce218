// libFuzzer target: oci::ParseSpec on arbitrary config.json text, then the
// derived views the runtime and the sentry use (GoferMounts,
// ResolveRootPath). Parsing must never crash, throw or hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "oci/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto spec = bulwark::oci::ParseSpec(text);
  if (!spec) return 0;
  for (const auto* m : bulwark::oci::GoferMounts(*spec)) (void)m->destination.size();
  (void)bulwark::oci::ResolveRootPath(*spec, "/bundle");
  return 0;
}

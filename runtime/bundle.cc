#include "runtime/bundle.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "oci/parse.h"
#include "runtime/fs.h"

namespace bulwark::runtime {
namespace {

Result<void> CheckDirectory(const std::string& what, const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return HostError(what + " " + path);
  if (!S_ISDIR(st.st_mode)) return MakeError(what + " " + path + ": Not a directory", ENOTDIR);
  return {};
}

bool HasOption(const oci::Mount& mount, std::string_view option) {
  return std::find(mount.options.begin(), mount.options.end(), option) != mount.options.end();
}

}  // namespace

Result<Bundle> LoadBundle(const std::string& dir) {
  Bundle bundle;
  bundle.dir = TRY(AbsolutePath(dir));
  TRY(CheckDirectory("bundle", bundle.dir));

  std::string config_path = JoinPath(bundle.dir, "config.json");
  auto text = ReadFile(config_path);
  if (!text) {
    const Error& e = text.error();
    return MakeError("config.json: " + (e.errnum != 0 ? config_path + ": " + strerror(e.errnum)
                                                      : e.message),
                     e.errnum);
  }
  bundle.config_json = std::move(*text);
  bundle.spec = TRY(oci::ParseSpec(bundle.config_json));

  bundle.rootfs = CleanPath(oci::ResolveRootPath(bundle.spec, bundle.dir));
  TRY(CheckDirectory("rootfs", bundle.rootfs));

  const auto mounts = oci::GoferMounts(bundle.spec);
  for (size_t i = 0; i < mounts.size(); ++i) {
    const oci::Mount& m = *mounts[i];
    // runtime-spec: bind sources are absolute or relative to the bundle.
    std::string source = JoinPath(bundle.dir, m.source);
    struct stat st;
    if (::stat(source.c_str(), &st) != 0) {
      return HostError("mount " + m.destination + ": source " + source);
    }
    bundle.gofer_mounts.push_back(GoferMount{source, HasOption(m, "ro")});
  }
  return bundle;
}

}  // namespace bulwark::runtime

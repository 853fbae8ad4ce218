// `bulwark spec [--bundle DIR]`: writes a starter config.json, never over an
// existing one.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "base/unique_fd.h"
#include "oci/parse.h"
#include "runtime/cli/cli.h"
#include "runtime/fs.h"

namespace bulwark::runtime::cli {
namespace {

Result<void> WriteSpec(const std::string& bundle) {
  std::string dir = TRY(AbsolutePath(bundle));
  std::string path = JoinPath(dir, "config.json");
  // runc writes the spec tab-indented.
  std::string text = oci::DefaultSpecJson().dump(1, '\t') + "\n";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666));
  if (!fd) {
    if (errno == EEXIST) return MakeError(path + " already exists; remove it first", EEXIST);
    return HostError("create " + path);
  }
  std::string_view rest(text);
  while (!rest.empty()) {
    ssize_t n = ::write(fd.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      auto err = HostError("write " + path);
      ::unlink(path.c_str());
      return err;
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

}  // namespace

int SpecMain(Invocation& inv) {
  std::string bundle = ".";
  FlagSet flags;
  flags.String("bundle", &bundle, "directory to write config.json into (default .)", 'b',
               "DIR");
  bool rootless = false;
  flags.Bool("rootless", &rootless, "accepted for runc compatibility");
  auto parsed = ParseCommandArgs(inv, FindCommand("spec"), flags);
  if (!parsed) return Fail(inv.flags, parsed.error());
  if (parsed->help) return 0;
  if (!parsed->positional.empty()) {
    return Fail(inv.flags, Error{EINVAL, "spec: unexpected argument \"" +
                                             parsed->positional[0] + "\""});
  }
  if (auto r = WriteSpec(bundle); !r) return Fail(inv.flags, r.error());
  return 0;
}

}  // namespace bulwark::runtime::cli

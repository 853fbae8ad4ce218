#include <set>

#include "oci/names.h"
#include "oci/parse_internal.h"

namespace bulwark::oci::internal {
namespace {

Result<User> ParseUser(const Object& process) {
  auto object = TRY(process.Child("user"));
  if (!object) return FieldError(process.PathOf("user"), "required");
  User user;
  TRY(object->Require("uid", &user.uid));
  TRY(object->Require("gid", &user.gid));
  TRY(object->Get("umask", &user.umask));
  TRY(object->Get("additionalGids", &user.additional_gids));
  return user;
}

Result<std::vector<std::string>> ParseArgs(const Object& process) {
  std::string path = process.PathOf("args");
  const Json* v = process.Find("args");
  std::vector<std::string> args;
  if (v == nullptr || !Decode(*v, path, &args) || args.empty()) {
    return FieldError(path, "must be a non-empty array of strings");
  }
  return args;
}

Result<void> ParseCapabilitySet(const Object& capabilities,
                                std::string_view key,
                                std::vector<std::string>* out) {
  TRY(capabilities.Get(key, out));
  for (size_t i = 0; i < out->size(); ++i) {
    if (!CapabilityNumber((*out)[i])) {
      return FieldError(ElementPath(capabilities.PathOf(key), i),
                        "unknown capability " + Quote((*out)[i]));
    }
  }
  return {};
}

Result<Capabilities> ParseCapabilities(const Object& process) {
  Capabilities caps;
  auto object = TRY(process.Child("capabilities"));
  if (!object) return caps;
  TRY(ParseCapabilitySet(*object, "bounding", &caps.bounding));
  TRY(ParseCapabilitySet(*object, "effective", &caps.effective));
  TRY(ParseCapabilitySet(*object, "inheritable", &caps.inheritable));
  TRY(ParseCapabilitySet(*object, "permitted", &caps.permitted));
  TRY(ParseCapabilitySet(*object, "ambient", &caps.ambient));
  return caps;
}

Result<Rlimit> ParseRlimit(const Json& v, const std::string& path) {
  Object object = TRY(Object::Of(v, path));
  Rlimit rlimit;
  TRY(object.Require("type", &rlimit.type));
  if (!RlimitResource(rlimit.type)) {
    return FieldError(object.PathOf("type"),
                      "unknown rlimit " + Quote(rlimit.type));
  }
  TRY(object.Require("hard", &rlimit.hard));
  TRY(object.Require("soft", &rlimit.soft));
  if (rlimit.soft > rlimit.hard) {
    return FieldError(path, "soft limit " + std::to_string(rlimit.soft) +
                                " exceeds hard limit " +
                                std::to_string(rlimit.hard));
  }
  return rlimit;
}

Result<std::vector<Rlimit>> ParseRlimits(const Object& process) {
  std::vector<Rlimit> rlimits;
  TRY(process.Array("rlimits", &rlimits, ParseRlimit));
  std::set<std::string> seen;
  for (size_t i = 0; i < rlimits.size(); ++i) {
    if (!seen.insert(rlimits[i].type).second) {
      return FieldError(
          MemberPath(ElementPath(process.PathOf("rlimits"), i), "type"),
          "duplicate rlimit " + Quote(rlimits[i].type));
    }
  }
  return rlimits;
}

Result<std::optional<int>> ParseOomScoreAdj(const Object& process) {
  const Json* v = process.Find("oomScoreAdj");
  if (v == nullptr) return std::optional<int>();
  int64_t value = 0;
  if (!Decode(*v, process.PathOf("oomScoreAdj"), &value) || value < -1000 ||
      value > 1000) {
    return FieldError(process.PathOf("oomScoreAdj"),
                      "must be an integer from -1000 to 1000");
  }
  return static_cast<int>(value);
}

}  // namespace

Result<Process> ParseProcess(const Json& v) {
  Object object = TRY(Object::Of(v, "process"));
  Process process;
  TRY(object.Get("terminal", &process.terminal));
  if (auto size = TRY(object.Child("consoleSize"))) {
    ConsoleSize console_size;
    TRY(size->Require("height", &console_size.height));
    TRY(size->Require("width", &console_size.width));
    process.console_size = console_size;
  }
  process.user = TRY(ParseUser(object));
  process.args = TRY(ParseArgs(object));
  TRY(object.Get("env", &process.env));
  TRY(CheckEnv(process.env, object.PathOf("env")));
  TRY(object.Require("cwd", &process.cwd));
  TRY(CheckAbsolute(process.cwd, object.PathOf("cwd")));
  process.capabilities = TRY(ParseCapabilities(object));
  process.rlimits = TRY(ParseRlimits(object));
  TRY(object.Get("noNewPrivileges", &process.no_new_privileges));
  TRY(object.Get("apparmorProfile", &process.apparmor_profile));
  process.oom_score_adj = TRY(ParseOomScoreAdj(object));
  TRY(object.Get("selinuxLabel", &process.selinux_label));
  return process;
}

}  // namespace bulwark::oci::internal

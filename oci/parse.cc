#include "oci/parse.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>

#include "base/unique_fd.h"
#include "oci/parse_internal.h"

namespace bulwark::oci {
namespace {

using internal::CheckAbsolute;
using internal::CheckEnv;
using internal::FieldError;
using internal::Json;
using internal::Object;

constexpr size_t kMaxConfigSize = 16 << 20;

// Recovers nlohmann's description of a syntax error. json::parse with
// allow_exceptions=false only says that parsing failed; the SAX interface
// hands the error to parse_error() without throwing it.
class SyntaxErrorCapture : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    position_ = position;
    message_ = ex.what();
    return false;
  }

  // "parse error at line L, column C (byte B): <reason>".
  std::string Describe() const {
    std::string text = message_;
    // Drop nlohmann's "[json.exception.parse_error.101] " tag.
    if (!text.empty() && text[0] == '[') {
      size_t end = text.find("] ");
      if (end != std::string::npos) text.erase(0, end + 2);
    }
    std::string byte = " (byte " + std::to_string(position_) + ")";
    size_t colon = text.find(':');
    if (colon == std::string::npos) return text + byte;
    return text.insert(colon, byte);
  }

 private:
  size_t position_ = 0;
  std::string message_ = "unknown error";
};

Result<Json> ParseJson(std::string_view text) {
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_discarded()) return json;
  SyntaxErrorCapture capture;
  Json::sax_parse(text, &capture);
  return FieldError("", "not valid JSON: " + capture.Describe());
}

Result<Root> ParseRoot(const Object& spec) {
  auto root_object = TRY(spec.Child("root"));
  if (!root_object) return FieldError("root", "required");
  Root root;
  TRY(root_object->Require("path", &root.path));
  if (root.path.empty()) return FieldError("root.path", "must not be empty");
  TRY(root_object->Get("readonly", &root.readonly));
  return root;
}

Result<Mount> ParseMount(const Json& v, const std::string& path) {
  Object object = TRY(Object::Of(v, path));
  Mount mount;
  TRY(object.Require("destination", &mount.destination));
  TRY(CheckAbsolute(mount.destination, object.PathOf("destination")));
  TRY(object.Get("type", &mount.type));
  TRY(object.Get("source", &mount.source));
  TRY(object.Get("options", &mount.options));
  return mount;
}

Result<Hook> ParseHook(const Json& v, const std::string& path) {
  Object object = TRY(Object::Of(v, path));
  Hook hook;
  TRY(object.Require("path", &hook.path));
  TRY(CheckAbsolute(hook.path, object.PathOf("path")));
  TRY(object.Get("args", &hook.args));
  TRY(object.Get("env", &hook.env));
  TRY(CheckEnv(hook.env, object.PathOf("env")));
  if (const Json* timeout = object.Find("timeout")) {
    const auto* seconds = timeout->get_ptr<const Json::number_unsigned_t*>();
    if (seconds == nullptr || *seconds < 1 || *seconds > INT32_MAX) {
      return FieldError(object.PathOf("timeout"), "must be a positive integer");
    }
    hook.timeout = static_cast<int>(*seconds);
  }
  return hook;
}

Result<Hooks> ParseHooks(const Object& spec) {
  Hooks hooks;
  auto object = TRY(spec.Child("hooks"));
  if (!object) return hooks;
  TRY(object->Array("prestart", &hooks.prestart, ParseHook));
  TRY(object->Array("createRuntime", &hooks.create_runtime, ParseHook));
  TRY(object->Array("createContainer", &hooks.create_container, ParseHook));
  TRY(object->Array("startContainer", &hooks.start_container, ParseHook));
  TRY(object->Array("poststart", &hooks.poststart, ParseHook));
  TRY(object->Array("poststop", &hooks.poststop, ParseHook));
  return hooks;
}

Result<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return HostError(path);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return HostError(path);
  if (!S_ISREG(st.st_mode)) return MakeError(path + ": not a regular file");
  std::string text;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return HostError(path);
    if (n == 0) break;
    if (text.size() + n > kMaxConfigSize) {
      return MakeError(path + ": larger than " +
                       std::to_string(kMaxConfigSize >> 20) + " MiB");
    }
    text.append(buf, n);
  }
  return text;
}

}  // namespace

Result<Spec> ParseSpec(std::string_view json_text) {
  Json json = TRY(ParseJson(json_text));
  Object object = TRY(Object::Of(json, ""));
  Spec spec;

  TRY(object.Require("ociVersion", &spec.oci_version));
  if (!spec.oci_version.starts_with("1.")) {
    return FieldError("ociVersion", "unsupported version " +
                                        internal::Quote(spec.oci_version) +
                                        " (bulwark supports 1.x)");
  }
  spec.root = TRY(ParseRoot(object));
  TRY(object.Array("mounts", &spec.mounts, ParseMount));

  const Json* process = object.Find("process");
  if (process == nullptr) return FieldError("process", "required");
  spec.process = TRY(internal::ParseProcess(*process));
  spec.has_process = true;

  TRY(object.Get("hostname", &spec.hostname));
  TRY(object.Get("domainname", &spec.domainname));
  if (const Json* linux_json = object.Find("linux")) {
    spec.linux = TRY(internal::ParseLinux(*linux_json));
  }
  spec.hooks = TRY(ParseHooks(object));
  TRY(object.Get("annotations", &spec.annotations));
  return spec;
}

Result<Spec> LoadSpec(const std::string& bundle_dir) {
  std::string path = bundle_dir.empty() || bundle_dir.ends_with('/')
                         ? bundle_dir + "config.json"
                         : bundle_dir + "/config.json";
  auto text = ReadFile(path);
  if (!text) {
    return MakeError("config.json: " + text.error().message,
                     text.error().errnum);
  }
  return ParseSpec(*text);
}

std::string ResolveRootPath(const Spec& spec, const std::string& bundle_dir) {
  std::filesystem::path root(spec.root.path);
  if (root.is_relative()) root = std::filesystem::path(bundle_dir) / root;
  std::string resolved = root.lexically_normal().string();
  while (resolved.size() > 1 && resolved.ends_with('/')) resolved.pop_back();
  return resolved;
}

std::vector<const Mount*> GoferMounts(const Spec& spec) {
  std::vector<const Mount*> mounts;
  for (const Mount& mount : spec.mounts) {
    if (mount.IsBind()) mounts.push_back(&mount);
  }
  return mounts;
}

}  // namespace bulwark::oci

// Internal to oci/: exception-free, type-checked reading of config.json
// members, with errors that name the JSON path of the offending field.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace bulwark::oci::internal {

using Json = nlohmann::json;

// Path builders: "process" + "cwd" -> "process.cwd"; "mounts" + 2 ->
// "mounts[2]"; "annotations" + "a.b" -> annotations["a.b"].
std::string MemberPath(std::string_view parent, std::string_view key);
std::string ElementPath(std::string_view parent, size_t index);
std::string EntryPath(std::string_view parent, std::string_view key);

// "config.json: <path>: <what>", or "config.json: <what>" for the top level.
std::unexpected<Error> FieldError(std::string_view path, std::string_view what);

// Decoders of one JSON value into a C++ value; on a type mismatch they fail
// with "<path>: must be ...". A null value is only accepted by optional<T>.
Result<void> Decode(const Json& v, const std::string& path, std::string* out);
Result<void> Decode(const Json& v, const std::string& path, bool* out);
Result<void> Decode(const Json& v, const std::string& path, uint32_t* out);
Result<void> Decode(const Json& v, const std::string& path, uint64_t* out);
Result<void> Decode(const Json& v, const std::string& path, int64_t* out);
Result<void> Decode(const Json& v, const std::string& path,
                    std::vector<std::string>* out);
Result<void> Decode(const Json& v, const std::string& path,
                    std::vector<uint32_t>* out);
Result<void> Decode(const Json& v, const std::string& path,
                    std::map<std::string, std::string>* out);

template <typename T>
Result<void> Decode(const Json& v, const std::string& path,
                    std::optional<T>* out) {
  if (v.is_null()) return {};
  T value{};
  TRY(Decode(v, path, &value));
  *out = std::move(value);
  return {};
}

// A JSON object being read, with its path. Members that are absent or null
// count as absent (Go's encoding/json, which writes most configs, does the
// same when reading).
class Object {
 public:
  static Result<Object> Of(const Json& v, std::string path);

  const std::string& path() const { return path_; }
  std::string PathOf(std::string_view key) const {
    return MemberPath(path_, key);
  }
  // The member, or nullptr when absent or null.
  const Json* Find(std::string_view key) const;

  // Optional member: *out is left unchanged when absent.
  template <typename T>
  Result<void> Get(std::string_view key, T* out) const {
    const Json* v = Find(key);
    if (v == nullptr) return {};
    return Decode(*v, PathOf(key), out);
  }

  // Required member: "<path>: required" when absent.
  template <typename T>
  Result<void> Require(std::string_view key, T* out) const {
    const Json* v = Find(key);
    if (v == nullptr) return FieldError(PathOf(key), "required");
    return Decode(*v, PathOf(key), out);
  }

  // An optional member that must be an object; nullopt when absent.
  Result<std::optional<Object>> Child(std::string_view key) const;

  // An optional member that must be an array; each element is decoded with
  // decode(const Json& element, const std::string& path) -> Result<T>.
  template <typename T, typename F>
  Result<void> Array(std::string_view key, std::vector<T>* out,
                     F&& decode) const {
    const Json* v = Find(key);
    if (v == nullptr) return {};
    std::string path = PathOf(key);
    if (!v->is_array()) return FieldError(path, "must be an array");
    out->clear();
    out->reserve(v->size());
    for (size_t i = 0; i < v->size(); ++i) {
      out->push_back(TRY(decode((*v)[i], ElementPath(path, i))));
    }
    return {};
  }

 private:
  Object(const Json* json, std::string path)
      : json_(json), path_(std::move(path)) {}

  const Json* json_;
  std::string path_;
};

// `value` in double quotes, with quotes, backslashes and control characters
// escaped so that error messages stay on one line.
std::string Quote(std::string_view value);

// Checks shared by several parts of the spec.
Result<void> CheckAbsolute(const std::string& value, const std::string& path);
Result<void> CheckEnv(const std::vector<std::string>& env,
                      const std::string& path);

}  // namespace bulwark::oci::internal

#include "oci/json_fields.h"

#include <limits>

namespace bulwark::oci::internal {

std::string MemberPath(std::string_view parent, std::string_view key) {
  std::string path(parent);
  if (!path.empty()) path += '.';
  path += key;
  return path;
}

std::string ElementPath(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

std::string EntryPath(std::string_view parent, std::string_view key) {
  return std::string(parent) + "[" + Quote(key) + "]";
}

std::unexpected<Error> FieldError(std::string_view path,
                                  std::string_view what) {
  std::string message = "config.json: ";
  if (!path.empty()) {
    message += path;
    message += ": ";
  }
  message += what;
  return MakeError(std::move(message));
}

Result<void> Decode(const Json& v, const std::string& path, std::string* out) {
  const auto* s = v.get_ptr<const Json::string_t*>();
  if (s == nullptr) return FieldError(path, "must be a string");
  *out = *s;
  return {};
}

Result<void> Decode(const Json& v, const std::string& path, bool* out) {
  const auto* b = v.get_ptr<const Json::boolean_t*>();
  if (b == nullptr) return FieldError(path, "must be a boolean");
  *out = *b;
  return {};
}

Result<void> Decode(const Json& v, const std::string& path, uint32_t* out) {
  const auto* u = v.get_ptr<const Json::number_unsigned_t*>();
  if (u == nullptr || *u > std::numeric_limits<uint32_t>::max()) {
    return FieldError(path, "must be an unsigned 32-bit integer");
  }
  *out = static_cast<uint32_t>(*u);
  return {};
}

Result<void> Decode(const Json& v, const std::string& path, uint64_t* out) {
  // nlohmann stores every non-negative integer literal that fits as
  // number_unsigned; larger ones become floats and are rejected here.
  const auto* u = v.get_ptr<const Json::number_unsigned_t*>();
  if (u == nullptr)
    return FieldError(path, "must be an unsigned 64-bit integer");
  *out = *u;
  return {};
}

Result<void> Decode(const Json& v, const std::string& path, int64_t* out) {
  if (const auto* i = v.get_ptr<const Json::number_integer_t*>()) {
    *out = *i;
    return {};
  }
  const auto* u = v.get_ptr<const Json::number_unsigned_t*>();
  if (u == nullptr ||
      *u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return FieldError(path, "must be a 64-bit integer");
  }
  *out = static_cast<int64_t>(*u);
  return {};
}

Result<void> Decode(const Json& v, const std::string& path,
                    std::vector<std::string>* out) {
  if (!v.is_array()) return FieldError(path, "must be an array of strings");
  std::vector<std::string> values(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    TRY(Decode(v[i], ElementPath(path, i), &values[i]));
  }
  *out = std::move(values);
  return {};
}

Result<void> Decode(const Json& v, const std::string& path,
                    std::vector<uint32_t>* out) {
  if (!v.is_array()) return FieldError(path, "must be an array");
  std::vector<uint32_t> values(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    TRY(Decode(v[i], ElementPath(path, i), &values[i]));
  }
  *out = std::move(values);
  return {};
}

Result<void> Decode(const Json& v, const std::string& path,
                    std::map<std::string, std::string>* out) {
  if (!v.is_object()) return FieldError(path, "must be an object");
  std::map<std::string, std::string> values;
  for (const auto& [key, value] : v.items()) {
    TRY(Decode(value, EntryPath(path, key), &values[key]));
  }
  *out = std::move(values);
  return {};
}

Result<Object> Object::Of(const Json& v, std::string path) {
  if (!v.is_object()) return FieldError(path, "must be an object");
  return Object(&v, std::move(path));
}

const Json* Object::Find(std::string_view key) const {
  auto it = json_->find(key);
  if (it == json_->end() || it->is_null()) return nullptr;
  return &*it;
}

Result<std::optional<Object>> Object::Child(std::string_view key) const {
  const Json* v = Find(key);
  if (v == nullptr) return std::optional<Object>();
  return TRY(Of(*v, PathOf(key)));
}

std::string Quote(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string quoted = "\"";
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (u < 0x20 || u == 0x7f) {
      quoted += "\\x";
      quoted += kHex[u >> 4];
      quoted += kHex[u & 0xf];
    } else {
      quoted += c;
    }
  }
  quoted += '"';
  return quoted;
}

Result<void> CheckAbsolute(const std::string& value, const std::string& path) {
  if (value.empty() || value[0] != '/') {
    return FieldError(path, "must be an absolute path");
  }
  return {};
}

Result<void> CheckEnv(const std::vector<std::string>& env,
                      const std::string& path) {
  for (size_t i = 0; i < env.size(); ++i) {
    size_t eq = env[i].find('=');
    if (eq == std::string::npos || eq == 0) {
      return FieldError(ElementPath(path, i),
                        Quote(env[i]) + " is not of the form NAME=VALUE");
    }
  }
  return {};
}

}  // namespace bulwark::oci::internal

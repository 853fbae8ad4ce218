#include "runtime/config_file.h"

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "runtime/fs.h"

namespace bulwark::runtime {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// The value part of `key = value  # comment`, unquoted.
Result<std::string> ParseValue(std::string_view v) {
  v = Trim(v);
  if (!v.empty() && (v.front() == '"' || v.front() == '\'')) {
    char q = v.front();
    size_t end = v.find(q, 1);
    if (end == std::string_view::npos) return MakeError("unterminated quoted value");
    std::string_view rest = Trim(v.substr(end + 1));
    if (!rest.empty() && rest.front() != '#') return MakeError("text after the quoted value");
    return std::string(v.substr(1, end - 1));
  }
  size_t hash = v.find('#');
  if (hash != std::string_view::npos) v = Trim(v.substr(0, hash));
  return std::string(v);
}

}  // namespace

std::string ConfigFilePath() {
  const char* env = std::getenv("BULWARK_CONFIG");
  return (env != nullptr && *env != '\0') ? env : kDefaultConfigPath;
}

Result<void> ApplyConfigText(std::string_view text, std::string_view file_name,
                             GlobalFlags& flags) {
  FlagSet set;
  AddGlobalFlags(set, flags);
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    line = Trim(line);
    if (line.empty() || line.front() == '#' || line.front() == '[') continue;
    std::string where = std::string(file_name) + ":" + std::to_string(line_no) + ": ";
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return MakeError(where + "expected key = value", EINVAL);
    std::string key(Trim(line.substr(0, eq)));
    for (char& c : key) {
      if (c == '_') c = '-';
    }
    if (key.empty() || key == "help" || key == "version") {
      return MakeError(where + "unknown setting \"" + key + "\"", EINVAL);
    }
    auto value = ParseValue(line.substr(eq + 1));
    if (!value) return MakeError(where + value.error().message, EINVAL);
    std::vector<std::string> args = {"--" + key + "=" + *value};
    auto parsed = set.Parse(args, FlagSet::Mode::kInterspersed);
    if (!parsed) {
      std::string msg = parsed.error().message;
      if (msg.starts_with("unknown flag")) msg = "unknown setting \"" + key + "\"";
      return MakeError(where + msg, EINVAL);
    }
  }
  return {};
}

Result<void> ApplyConfigFile(const std::string& path, GlobalFlags& flags) {
  auto text = ReadFile(path, 1 << 20);
  if (!text) {
    if (text.error().errnum == ENOENT) return {};
    return std::unexpected(text.error());
  }
  return ApplyConfigText(*text, path, flags);
}

}  // namespace bulwark::runtime

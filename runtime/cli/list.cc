// `bulwark list [--format table|json] [-q]`: every container under --root.
#include <pwd.h>
#include <sys/stat.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "runtime/cli/cli.h"
#include "runtime/cli/lifecycle.h"
#include "runtime/fs.h"

namespace bulwark::runtime::cli {

int ListMain(Invocation& inv) {
  const Command& cmd = FindCommand("list");
  std::string format = "table";
  bool quiet = false;
  FlagSet flags;
  flags.String("format", &format, "table or json", 'f', "FORMAT");
  flags.Bool("quiet", &quiet, "print only the container ids", 'q');
  auto parsed = ParseCommandArgs(inv, cmd, flags);
  if (!parsed) return Fail(inv.flags, parsed.error());
  if (parsed->help) return 0;
  if (!parsed->positional.empty()) {
    return Fail(inv.flags, Error{EINVAL, "list: unexpected argument \"" +
                                             parsed->positional[0] + "\""});
  }
  if (format != "table" && format != "json") {
    return Fail(inv.flags, Error{EINVAL, "invalid format option \"" + format +
                                             "\": expected table or json"});
  }
  auto root = AbsolutePath(inv.flags.root);
  if (!root) return Fail(inv.flags, root.error());
  StateRoot states(*root);
  auto ids = states.List();
  if (!ids) return Fail(inv.flags, ids.error());
  std::vector<State> list;
  for (const std::string& id : *ids) {
    auto s = states.Read(id);
    if (!s) continue;  // deleted meanwhile, or not a container directory
    State cur = CurrentState(std::move(*s));
    // runc: the owner is the user owning the state directory.
    struct stat st;
    if (::stat(states.DirOf(id).c_str(), &st) == 0) {
      struct passwd* pw = ::getpwuid(st.st_uid);
      cur.owner = pw != nullptr ? pw->pw_name : "#" + std::to_string(st.st_uid);
    }
    list.push_back(std::move(cur));
  }
  if (quiet) {
    for (const State& s : list) printf("%s\n", s.id.c_str());
    return 0;
  }
  if (format == "json") {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const State& s : list) {
      auto j = nlohmann::ordered_json::parse(StateToJson(s));
      j["owner"] = s.owner;
      arr.push_back(std::move(j));
    }
    // runc prints "null" for no containers; an empty array parses as well.
    printf("%s\n", arr.dump().c_str());
    return 0;
  }
  size_t w = 2;
  for (const State& s : list) w = std::max(w, s.id.size());
  printf("%-*s   %-10s %-10s %-40s %-30s %s\n", static_cast<int>(w), "ID", "PID", "STATUS",
         "BUNDLE", "CREATED", "OWNER");
  for (const State& s : list) {
    printf("%-*s   %-10d %-10s %-40s %-30s %s\n", static_cast<int>(w), s.id.c_str(), s.pid,
           std::string(StatusName(s.status)).c_str(), s.bundle.c_str(), s.created.c_str(),
           s.owner.c_str());
  }
  return 0;
}

}  // namespace bulwark::runtime::cli

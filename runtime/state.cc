#include "runtime/state.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <vector>

#include "runtime/fs.h"

namespace bulwark::runtime {
namespace {

constexpr char kStateFile[] = "state.json";
constexpr char kLockFile[] = ".lock";
constexpr size_t kMaxIdLength = 255;  // one path component (NAME_MAX)

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || (c >= '+' && c <= '.');  // '+', ',', '-', '.'
}

// Removes the entries of a directory that holds only files.
Result<void> RemoveDirContents(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return HostError("open " + path);
  DIR* dir = ::fdopendir(fd.get());
  if (dir == nullptr) return HostError("opendir " + path);
  int dfd = fd.release();  // owned by `dir` now
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(dir)) {
    std::string_view name(e->d_name);
    if (name != "." && name != "..") names.emplace_back(name);
  }
  Result<void> result;
  for (const std::string& name : names) {
    if (::unlinkat(dfd, name.c_str(), 0) != 0 && errno != ENOENT) {
      if (errno == EISDIR && ::unlinkat(dfd, name.c_str(), AT_REMOVEDIR) == 0) continue;
      result = HostError("remove " + path + "/" + name);
    }
  }
  ::closedir(dir);
  return result;
}

}  // namespace

Result<void> ValidateContainerId(std::string_view id) {
  if (id.empty()) return MakeError("container id cannot be empty", EINVAL);
  std::string quoted = "\"" + std::string(id) + "\"";
  if (id == "." || id == "..")
    return MakeError("invalid container id " + quoted + ": must not be \".\" or \"..\"", EINVAL);
  if (id.size() > kMaxIdLength)
    return MakeError("invalid container id " + quoted + ": longer than 255 bytes", EINVAL);
  for (char c : id) {
    if (!IsIdChar(c)) {
      return MakeError("invalid container id " + quoted +
                           ": only letters, digits and _ + - . , are allowed",
                       EINVAL);
    }
  }
  return {};
}

std::string_view StatusName(Status status) {
  switch (status) {
    case Status::kCreating: return "creating";
    case Status::kCreated: return "created";
    case Status::kRunning: return "running";
    case Status::kPaused: return "paused";
    case Status::kStopped: return "stopped";
  }
  return "unknown";
}

std::optional<Status> StatusFromName(std::string_view name) {
  for (Status s : {Status::kCreating, Status::kCreated, Status::kRunning, Status::kPaused,
                   Status::kStopped}) {
    if (StatusName(s) == name) return s;
  }
  return std::nullopt;
}

std::string StateToJson(const State& state) {
  nlohmann::ordered_json j;
  j["ociVersion"] = state.oci_version;
  j["id"] = state.id;
  j["pid"] = state.pid;
  j["status"] = StatusName(state.status);
  j["bundle"] = state.bundle;
  j["rootfs"] = state.rootfs;
  j["created"] = state.created;
  j["owner"] = "";
  if (!state.annotations.empty()) j["annotations"] = state.annotations;
  return j.dump();
}

std::string StateToDiskJson(const State& state) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(StateToJson(state));
  nlohmann::ordered_json b;
  b["pidStart"] = state.pid_start;
  b["goferPid"] = state.gofer_pid;
  b["goferStart"] = state.gofer_start;
  b["paused"] = state.paused;
  b["cgroups"] = state.cgroups;
  b["cgroupsCreated"] = state.cgroups_created;
  b["hooks"] = state.hooks_json;
  j["bulwark"] = std::move(b);
  return j.dump();
}

Result<State> StateFromJson(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return MakeError("state.json: not a JSON object");
  State s;
  auto str = [&j](const char* key, std::string* out) -> Result<void> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string())
      return MakeError(std::string("state.json: ") + key + ": must be a string");
    *out = it->get<std::string>();
    return {};
  };
  TRY(str("ociVersion", &s.oci_version));
  TRY(str("id", &s.id));
  TRY(str("bundle", &s.bundle));
  TRY(str("rootfs", &s.rootfs));
  TRY(str("created", &s.created));
  std::string status;
  TRY(str("status", &status));
  auto parsed = StatusFromName(status);
  if (!parsed) return MakeError("state.json: status: unknown value \"" + status + "\"");
  s.status = *parsed;
  auto pid = j.find("pid");
  if (pid == j.end() || !pid->is_number_integer())
    return MakeError("state.json: pid: must be an integer");
  s.pid = pid->get<int>();
  if (auto a = j.find("annotations"); a != j.end() && a->is_object()) {
    for (auto& [k, v] : a->items()) {
      if (v.is_string()) s.annotations[k] = v.get<std::string>();
    }
  }
  if (auto b = j.find("bulwark"); b != j.end() && b->is_object()) {
    s.pid_start = b->value("pidStart", 0ull);
    s.gofer_pid = b->value("goferPid", 0);
    s.gofer_start = b->value("goferStart", 0ull);
    s.paused = b->value("paused", false);
    for (auto [key, out] : {std::pair{"cgroups", &s.cgroups},
                            std::pair{"cgroupsCreated", &s.cgroups_created}}) {
      if (auto c = b->find(key); c != b->end() && c->is_array()) {
        for (auto& v : *c) {
          if (v.is_string()) out->push_back(v.get<std::string>());
        }
      }
    }
    s.hooks_json = b->value("hooks", std::string());
  }
  return s;
}

namespace {
// /proc/PID/stat: "pid (comm) S ppid ..."; comm may hold spaces and ')'.
Result<std::pair<char, unsigned long long>> ReadProcStat(int pid) {
  std::string text = TRY(ReadFile("/proc/" + std::to_string(pid) + "/stat", 4096));
  size_t close = text.rfind(')');
  if (close == std::string::npos || close + 2 >= text.size())
    return MakeError("/proc/" + std::to_string(pid) + "/stat: unexpected format");
  std::string_view rest(text);
  rest.remove_prefix(close + 2);
  char state = rest.empty() ? '?' : rest[0];
  // Field 3 is the state; starttime is field 22.
  int field = 3;
  size_t pos = 0;
  while (field < 22 && pos != std::string_view::npos) {
    pos = rest.find(' ', pos);
    if (pos != std::string_view::npos) ++pos;
    ++field;
  }
  if (pos == std::string_view::npos)
    return MakeError("/proc/" + std::to_string(pid) + "/stat: too few fields");
  return std::pair<char, unsigned long long>(state, std::strtoull(rest.data() + pos, nullptr, 10));
}
}  // namespace

Result<unsigned long long> ProcessStartTime(int pid) {
  auto st = TRY(ReadProcStat(pid));
  return st.second;
}

bool ProcessAlive(int pid, unsigned long long start_time) {
  if (pid <= 0) return false;
  auto st = ReadProcStat(pid);
  if (!st) return false;
  if (st->first == 'Z' || st->first == 'X' || st->first == 'x') return false;
  return start_time == 0 || st->second == start_time;
}

State CurrentState(State s) {
  if (s.pid <= 0) {
    // Nothing was started (creating) or nothing is left.
    if (s.status != Status::kCreating) s.status = Status::kStopped;
    s.pid = 0;
    return s;
  }
  if (!ProcessAlive(s.pid, s.pid_start)) {
    s.status = Status::kStopped;
    s.pid = 0;
    return s;
  }
  if (s.paused && s.status == Status::kRunning) s.status = Status::kPaused;
  return s;
}

std::string Rfc3339NanoNow() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof(buf) - n, ".%09ldZ", static_cast<long>(ts.tv_nsec));
  return buf;
}

Result<void> ContainerDir::Save(const State& state) const {
  return WriteFileAtomic(path_ + "/" + kStateFile, StateToDiskJson(state), 0600);
}

Result<State> ContainerDir::Load() const {
  std::string text = TRY(ReadFile(path_ + "/" + kStateFile));
  return StateFromJson(text);
}

Result<void> ContainerDir::Remove() {
  if (path_.empty()) return {};
  Result<void> result = RemoveDirContents(path_);
  if (result && ::rmdir(path_.c_str()) != 0 && errno != ENOENT) {
    result = HostError("remove " + path_);
  }
  lock_.reset();
  path_.clear();
  return result;
}

Result<ContainerDir> StateRoot::Create(std::string_view id) const {
  TRY(ValidateContainerId(id));
  TRY(MakeDirs(path_, 0711));
  std::string dir = path_ + "/" + std::string(id);
  if (::mkdir(dir.c_str(), 0711) != 0) {
    if (errno == EEXIST) {
      return MakeError("container \"" + std::string(id) + "\" already exists", EEXIST);
    }
    return HostError("mkdir " + dir);
  }
  ContainerDir cd(std::string(id), dir, UniqueFd());
  if (::chmod(dir.c_str(), 0711) != 0) {
    auto err = HostError("chmod " + dir);
    (void)cd.Remove();
    return err;
  }
  std::string lock_path = dir + "/" + kLockFile;
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!lock || ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    auto err = HostError("lock " + lock_path);
    (void)cd.Remove();
    return err;
  }
  cd.lock_ = std::move(lock);
  return cd;
}

}  // namespace bulwark::runtime

namespace bulwark::runtime {

Result<ContainerDir> StateRoot::Open(std::string_view id) const {
  TRY(ValidateContainerId(id));
  std::string dir = DirOf(id);
  std::string does_not_exist = "container \"" + std::string(id) + "\" does not exist";
  std::string lock_path = dir + "/" + kLockFile;
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
  if (!lock) {
    if (errno == ENOENT || errno == ENOTDIR) return MakeError(does_not_exist, ENOENT);
    return HostError("open " + lock_path);
  }
  while (::flock(lock.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return HostError("lock " + lock_path);
  }
  // Deleted while we waited for the lock.
  struct stat st;
  if (::fstat(lock.get(), &st) != 0) return HostError("stat " + lock_path);
  if (st.st_nlink == 0) return MakeError(does_not_exist, ENOENT);
  return ContainerDir(std::string(id), dir, std::move(lock));
}

Result<State> StateRoot::Read(std::string_view id) const {
  TRY(ValidateContainerId(id));
  auto text = ReadFile(DirOf(id) + "/" + kStateFile);
  if (!text) {
    if (text.error().errnum == ENOENT || text.error().errnum == ENOTDIR) {
      return MakeError("container \"" + std::string(id) + "\" does not exist", ENOENT);
    }
    return std::unexpected(text.error());
  }
  return StateFromJson(*text);
}

Result<std::vector<std::string>> StateRoot::List() const {
  std::vector<std::string> ids;
  UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return ids;
    return HostError("open " + path_);
  }
  DIR* dir = ::fdopendir(fd.release());
  if (dir == nullptr) return HostError("opendir " + path_);
  while (struct dirent* e = ::readdir(dir)) {
    std::string_view name(e->d_name);
    if (name == "." || name == "..") continue;
    if (!ValidateContainerId(name)) continue;
    ids.emplace_back(name);
  }
  ::closedir(dir);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace bulwark::runtime

#include "runtime/cgroup.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
#include "oci/parse_internal.h"
#include "runtime/fs.h"

namespace bulwark::runtime {
namespace {

// v1 hierarchies a sandbox joins: the ones its limits and statistics use,
// plus the freezer (clients expect a container to have one).
// pids.max for the sandbox's host processes. The limit itself is the
// sentry's (clone fails with EAGAIN at linux.resources.pids.limit tasks,
// like the pids cgroup inside a runc container); on the host each task
// costs up to three tasks (its sentry thread, its stub thread, the stub
// process of its address space) plus a few sentry threads, so the host
// limit is wider and only stops a sentry that went wrong.
std::string HostPidsMax(int64_t limit) {
  if (limit <= 0) return "max";
  return std::to_string(3 * limit + 64);
}

constexpr std::string_view kV1Controllers[] = {"cpu", "cpuacct", "cpuset", "memory", "pids",
                                               "freezer"};

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) break;
    s.remove_prefix(p + 1);
  }
  return out;
}

// Mountinfo escapes spaces and the like as \ooo.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool ok = true;
      for (size_t k = 1; k <= 3; ++k) {
        char c = s[i + k];
        if (c < '0' || c > '7') ok = false;
        v = v * 8 + (c - '0');
      }
      if (ok) {
        out.push_back(static_cast<char>(v));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

Result<void> WriteCgroupFile(const std::string& path, const std::string& value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_TRUNC));
  if (!fd) return HostError("open " + path);
  if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    return HostError("write " + value + " to " + path);
  }
  return {};
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// Host directory of hierarchy path `path` in mount `m`; "" if the path is
// outside what is mounted there.
std::string HostDir(const CgroupMount& m, const std::string& path) {
  std::string root = m.root == "/" ? "" : m.root;
  if (!root.empty() && path != root && !path.starts_with(root + "/")) return "";
  return CleanPath(m.mount_point + "/" + path.substr(root.size()));
}

// mkdir -p, recording the directories it made (outermost first).
Result<void> MakeCgroupDirs(const std::string& dir, std::vector<std::string>& created) {
  std::vector<std::string> missing;
  std::string cur = dir;
  while (!cur.empty() && cur != "/" && !Exists(cur)) {
    missing.push_back(cur);
    cur = cur.substr(0, cur.rfind('/'));
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST) return HostError("mkdir " + *it);
    created.push_back(*it);
  }
  return {};
}

// A new v1 cpuset cgroup has empty cpus and mems, and joining it fails
// until they are set: copy them from the parent, top down.
Result<void> InitCpuset(const std::string& dir, const std::string& stop) {
  if (dir == stop || dir.size() <= stop.size()) return {};
  std::string parent = dir.substr(0, dir.rfind('/'));
  TRY(InitCpuset(parent, stop));
  for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
    std::string cur = TRY(ReadFile(dir + "/" + f, 4096));
    if (cur.find_first_not_of(" \n") != std::string::npos) continue;
    std::string value = TRY(ReadFile(parent + "/" + f, 4096));
    while (!value.empty() && value.back() == '\n') value.pop_back();
    TRY(WriteCgroupFile(dir + "/" + f, value));
  }
  return {};
}

// cpu.shares (2..262144) to cpu.weight (1..10000), the conversion runc and
// crun use.
uint64_t SharesToWeight(uint64_t shares) {
  if (shares == 0) return 0;
  shares = std::clamp<uint64_t>(shares, 2, 262144);
  return 1 + ((shares - 2) * 9999) / 262142;
}

}  // namespace

std::vector<CgroupMount> ParseCgroupMounts(std::string_view mountinfo) {
  std::vector<CgroupMount> mounts;
  for (std::string_view line : Split(mountinfo, '\n')) {
    // id parent maj:min root mount-point options [optional...] - fstype source super-options
    size_t dash = line.find(" - ");
    if (dash == std::string_view::npos) continue;
    auto head = Split(line.substr(0, dash), ' ');
    auto tail = Split(line.substr(dash + 3), ' ');
    if (head.size() < 5 || tail.size() < 3) continue;
    CgroupMount m;
    if (tail[0] == "cgroup2") {
      m.v2 = true;
    } else if (tail[0] != "cgroup") {
      continue;
    }
    m.root = Unescape(head[3]);
    m.mount_point = Unescape(head[4]);
    if (!m.v2) {
      for (std::string_view opt : Split(tail[2], ',')) {
        if (opt == "rw" || opt == "ro" || opt.empty()) continue;
        if (opt.find('=') != std::string_view::npos && !opt.starts_with("name=")) continue;
        if (opt == "noprefix" || opt == "xattr" || opt == "clone_children" ||
            opt == "cpuset_v2_mode" || opt == "nsdelegate")
          continue;
        m.controllers.emplace_back(opt);
      }
    }
    mounts.push_back(std::move(m));
  }
  return mounts;
}

std::map<std::string, std::string> ParseProcCgroup(std::string_view text) {
  std::map<std::string, std::string> out;
  for (std::string_view line : Split(text, '\n')) {
    size_t a = line.find(':');
    if (a == std::string_view::npos) continue;
    size_t b = line.find(':', a + 1);
    if (b == std::string_view::npos) continue;
    std::string path(line.substr(b + 1));
    std::string_view ctrls = line.substr(a + 1, b - a - 1);
    if (ctrls.empty()) {
      out[""] = path;
      continue;
    }
    for (std::string_view c : Split(ctrls, ',')) out[std::string(c)] = path;
  }
  return out;
}

Result<std::string> ResolveCgroupPath(std::string_view cgroups_path, std::string_view id,
                                      std::string_view own) {
  if (cgroups_path.empty()) return "/bulwark/" + std::string(id);
  if (cgroups_path.find(':') != std::string_view::npos && cgroups_path.front() != '/') {
    return MakeError("cgroupsPath \"" + std::string(cgroups_path) +
                         "\": the slice:prefix:name form needs --systemd-cgroup",
                     EINVAL);
  }
  std::string path = cgroups_path.front() == '/'
                         ? CleanPath(cgroups_path)
                         : CleanPath(std::string(own.empty() ? "/" : own) + "/" +
                                     std::string(cgroups_path));
  if (path == "/") {
    return MakeError("cgroupsPath \"" + std::string(cgroups_path) +
                         "\": must not be the root cgroup",
                     EINVAL);
  }
  return path;
}

Result<void> CheckSystemd(std::string_view cgroups_path) {
  // sd_booted(3): systemd is running iff /run/systemd/system exists.
  if (!Exists("/run/systemd/system")) {
    return MakeError("systemd not running on this host, can't use systemd as cgroups manager",
                     ENOSYS);
  }
  return MakeError("--systemd-cgroup (cgroupsPath \"" + std::string(cgroups_path) +
                       "\"): the systemd cgroup manager is not implemented; "
                       "use cgroupfs paths",
                   ENOSYS);
}

Result<oci::Resources> ParseResourcesJson(std::string_view json_text) {
  auto j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return MakeError("resources: not a JSON object", EINVAL);
  }
  nlohmann::json linux_object = {{"resources", std::move(j)}};
  oci::Linux linux_spec = TRY(oci::internal::ParseLinux(linux_object));
  return linux_spec.resources;
}

std::vector<std::pair<std::string, std::string>> CgroupWrites(const oci::Resources& r,
                                                              bool v2) {
  std::vector<std::pair<std::string, std::string>> w;
  auto num = [](int64_t v) { return std::to_string(v); };
  const auto& m = r.memory;
  if (v2) {
    auto max = [](int64_t v) { return v < 0 ? std::string("max") : std::to_string(v); };
    if (m.limit) w.emplace_back("memory.max", max(*m.limit));
    if (m.reservation) w.emplace_back("memory.low", max(*m.reservation));
    // OCI swap is memory+swap; v2's swap.max is the swap alone.
    if (m.swap) {
      if (*m.swap < 0) {
        w.emplace_back("memory.swap.max", "max");
      } else if (m.limit && *m.limit >= 0) {
        w.emplace_back("memory.swap.max", num(std::max<int64_t>(0, *m.swap - *m.limit)));
      }
    }
    if (r.cpu.shares) w.emplace_back("cpu.weight", std::to_string(SharesToWeight(*r.cpu.shares)));
    if (r.cpu.quota || r.cpu.period) {
      std::string quota =
          (!r.cpu.quota || *r.cpu.quota <= 0) ? std::string("max") : num(*r.cpu.quota);
      w.emplace_back("cpu.max", quota + " " + std::to_string(r.cpu.period.value_or(100000)));
    }
    if (!r.cpu.cpus.empty()) w.emplace_back("cpuset.cpus", r.cpu.cpus);
    if (!r.cpu.mems.empty()) w.emplace_back("cpuset.mems", r.cpu.mems);
    if (r.pids) w.emplace_back("pids.max", HostPidsMax(r.pids->limit));
    return w;
  }
  if (m.limit) w.emplace_back("memory.limit_in_bytes", num(*m.limit));
  if (m.reservation) w.emplace_back("memory.soft_limit_in_bytes", num(*m.reservation));
  if (m.swap) w.emplace_back("memory.memsw.limit_in_bytes", num(*m.swap));
  if (r.cpu.shares) w.emplace_back("cpu.shares", std::to_string(*r.cpu.shares));
  if (r.cpu.period) w.emplace_back("cpu.cfs_period_us", std::to_string(*r.cpu.period));
  if (r.cpu.quota) w.emplace_back("cpu.cfs_quota_us", num(*r.cpu.quota));
  if (!r.cpu.cpus.empty()) w.emplace_back("cpuset.cpus", r.cpu.cpus);
  if (!r.cpu.mems.empty()) w.emplace_back("cpuset.mems", r.cpu.mems);
  if (r.pids) w.emplace_back("pids.max", HostPidsMax(r.pids->limit));
  return w;
}

Result<Cgroups> Cgroups::Create(const std::string& cgroups_path, std::string_view id,
                                const oci::Resources& r) {
  std::string mountinfo = TRY(ReadFile("/proc/self/mountinfo"));
  std::string self = TRY(ReadFile("/proc/self/cgroup"));
  auto mounts = ParseCgroupMounts(mountinfo);
  auto own = ParseProcCgroup(self);
  Cgroups cg;
  auto fail = [&cg](Error e) -> Result<Cgroups> {
    (void)cg.Remove();
    return std::unexpected(std::move(e));
  };
  bool any_v1 = std::any_of(mounts.begin(), mounts.end(),
                            [](const CgroupMount& m) { return !m.v2 && !m.controllers.empty(); });
  for (const CgroupMount& m : mounts) {
    std::string key;
    if (m.v2) {
      if (any_v1) continue;  // hybrid: the v1 controllers are the real ones
      key = "";
    } else {
      auto wanted = std::find_first_of(m.controllers.begin(), m.controllers.end(),
                                       std::begin(kV1Controllers), std::end(kV1Controllers));
      if (wanted == m.controllers.end()) continue;
      key = *wanted;
    }
    // The same hierarchy can be mounted twice; join it once.
    std::string path_own = own.count(key) ? own[key] : "/";
    auto path = ResolveCgroupPath(cgroups_path, id, path_own);
    if (!path) return fail(path.error());
    std::string dir = HostDir(m, *path);
    if (dir.empty() || std::find(cg.dirs_.begin(), cg.dirs_.end(), dir) != cg.dirs_.end()) {
      continue;
    }
    if (auto made = MakeCgroupDirs(dir, cg.created_); !made) return fail(made.error());
    cg.dirs_.push_back(dir);
    if (m.v2) {
      cg.v2_ = true;
      // Controllers must be enabled in every ancestor's subtree_control.
      std::string cur = CleanPath(m.mount_point);
      std::string rel = dir.substr(cur.size());
      for (std::string_view part : Split(rel, '/')) {
        if (part.empty()) continue;
        for (const char* c : {"+cpu", "+cpuset", "+memory", "+pids"}) {
          (void)WriteCgroupFile(cur + "/cgroup.subtree_control", c);
        }
        cur += "/" + std::string(part);
      }
    } else if (std::find(m.controllers.begin(), m.controllers.end(), "cpuset") !=
               m.controllers.end()) {
      if (auto init = InitCpuset(dir, CleanPath(m.mount_point)); !init) return fail(init.error());
    }
  }
  if (auto applied = cg.Apply(r); !applied) return fail(applied.error());
  return cg;
}

Cgroups Cgroups::FromDirs(std::vector<std::string> dirs, std::vector<std::string> created) {
  Cgroups cg;
  cg.v2_ = !dirs.empty() && Exists(dirs.front() + "/cgroup.controllers");
  cg.dirs_ = std::move(dirs);
  cg.created_ = std::move(created);
  return cg;
}

Result<void> Cgroups::Apply(const oci::Resources& r) const {
  for (auto& [file, value] : CgroupWrites(r, v2_)) {
    bool written = false;
    for (const std::string& dir : dirs_) {
      std::string path = dir + "/" + file;
      if (!Exists(path)) continue;
      auto w = WriteCgroupFile(path, value);
      // Lowering memsw below the memory limit (or the limit above memsw)
      // depends on the order; the second try succeeds once both are set.
      if (!w && file.starts_with("memory.")) w = WriteCgroupFile(path, value);
      TRY(w);
      written = true;
      break;
    }
    if (!written && !dirs_.empty()) {
      return MakeError("linux.resources: cannot set " + file + " = " + value +
                           ": the host has no such cgroup file (controller or accounting "
                           "not enabled)",
                       ENOENT);
    }
  }
  return {};
}

Result<void> Cgroups::Remove() {
  Result<void> result;
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    // A cgroup whose last process just exited can be busy for a moment.
    int tries = 0;
    while (::rmdir(it->c_str()) != 0 && errno != ENOENT) {
      if (errno == EBUSY && ++tries < 50) {
        ::usleep(10000);
        continue;
      }
      result = HostError("remove cgroup " + *it);
      break;
    }
  }
  created_.clear();
  dirs_.clear();
  return result;
}

namespace {

// memory.events' "oom_kill N", read from offset 0 of `fd`; nullopt if absent.
std::optional<uint64_t> ReadOomKills(int fd) {
  char buf[1024];
  ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return std::nullopt;
  std::string_view text(buf, static_cast<size_t>(n));
  size_t at = text.find("oom_kill ");
  if (at == std::string_view::npos || (at > 0 && text[at - 1] != '\n')) return std::nullopt;
  return std::strtoull(buf + at + 9, nullptr, 10);
}

}  // namespace

std::optional<OomWatcher> OomWatcher::Open(const std::vector<std::string>& dirs) {
  for (const std::string& dir : dirs) {
    OomWatcher w;
    UniqueFd events(::open((dir + "/memory.events").c_str(), O_RDONLY | O_CLOEXEC));
    if (events) {
      auto kills = ReadOomKills(events.get());
      if (!kills) continue;
      w.v2_ = true;
      w.v2_seen_ = *kills;
      w.fd_ = std::move(events);
      return w;
    }
    UniqueFd control(::open((dir + "/memory.oom_control").c_str(), O_RDONLY | O_CLOEXEC));
    if (!control) continue;
    UniqueFd efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!efd) return std::nullopt;
    std::string reg = std::to_string(efd.get()) + " " + std::to_string(control.get());
    UniqueFd ec(::open((dir + "/cgroup.event_control").c_str(), O_WRONLY | O_CLOEXEC));
    if (!ec || ::write(ec.get(), reg.data(), reg.size()) != static_cast<ssize_t>(reg.size()))
      return std::nullopt;
    // The registration lives as long as the eventfd (the control file may
    // be closed).
    w.fd_ = std::move(efd);
    return w;
  }
  return std::nullopt;
}

short OomWatcher::poll_events() const { return v2_ ? POLLPRI : POLLIN; }

int OomWatcher::Take() {
  if (v2_) {
    auto kills = ReadOomKills(fd_.get());
    if (!kills || *kills <= v2_seen_) return 0;
    int n = static_cast<int>(*kills - v2_seen_);
    v2_seen_ = *kills;
    return n;
  }
  uint64_t count = 0;
  if (::read(fd_.get(), &count, sizeof(count)) != sizeof(count)) return 0;
  return static_cast<int>(count);
}

}  // namespace bulwark::runtime

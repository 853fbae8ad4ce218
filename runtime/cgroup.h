// cgroups for a sandbox's host processes (gofer, sentry and the stubs the
// sentry forks, which inherit the sentry's cgroups): linux.resources and
// linux.cgroupsPath applied on the host, v1 (one hierarchy per controller,
// found in /proc/self/mountinfo) or v2 (the unified hierarchy).
//
// On a hybrid host (v1 controllers plus an empty unified hierarchy, as this
// project's CI machine) the v1 hierarchies are used and the unified one is
// left alone, as runc does.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "oci/spec.h"

namespace bulwark::runtime {

struct CgroupMount {
  std::string mount_point;               // host path
  std::string root;                      // the hierarchy path mounted there
  std::vector<std::string> controllers;  // v1: from the super options
  bool v2 = false;
};

// The cgroup and cgroup2 mounts of a mountinfo text.
std::vector<CgroupMount> ParseCgroupMounts(std::string_view mountinfo);

// /proc/PID/cgroup text -> controller (v1, each of a comma list, and
// "name=..." hierarchies) or "" (v2) -> path.
std::map<std::string, std::string> ParseProcCgroup(std::string_view text);

// The cgroup path (from the hierarchy's root, starting with '/') for a
// container: cgroupsPath if absolute; relative to `own` (the runtime's own
// cgroup in that hierarchy) if relative; "/bulwark/<id>" if empty. systemd's "slice:prefix:name" form is an error
// here (see CheckSystemd).
Result<std::string> ResolveCgroupPath(std::string_view cgroups_path, std::string_view id,
                                      std::string_view own);

// --systemd-cgroup: runc's error when systemd is not running; otherwise
// ENOSYS (the systemd manager is not implemented yet).
Result<void> CheckSystemd(std::string_view cgroups_path);

// Parses an OCI LinuxResources JSON object (`update --resources`).
Result<oci::Resources> ParseResourcesJson(std::string_view json_text);

// The cgroup files and values that `resources` sets, in write order, for
// one controller layout: v1 ("memory/memory.limit_in_bytes") or v2
// ("memory.max"). Exposed for tests.
std::vector<std::pair<std::string, std::string>> CgroupWrites(const oci::Resources& resources,
                                                              bool v2);

// The cgroups of one container.
class Cgroups {
 public:
  Cgroups() = default;  // none
  // Creates (or reuses) the container's cgroup in every hierarchy the
  // resources need (memory, cpu, cpuacct, cpuset, pids, freezer on v1; the
  // unified one on v2) and applies `resources`. On failure nothing made
  // here is left.
  static Result<Cgroups> Create(const std::string& cgroups_path, std::string_view id,
                                const oci::Resources& resources);
  // Reattaches to the directories recorded in the state.
  static Cgroups FromDirs(std::vector<std::string> dirs, std::vector<std::string> created);

  // Changes the limits (`update`).
  Result<void> Apply(const oci::Resources& resources) const;
  // The cgroup.procs files to join (a child writes "0" to each).
  const std::vector<std::string>& dirs() const { return dirs_; }
  // Directories this container created (removed again by Remove).
  const std::vector<std::string>& created() const { return created_; }
  // rmdir of the created directories, deepest first. Processes must be gone.
  Result<void> Remove();
  bool v2() const { return v2_; }

 private:
  std::vector<std::string> dirs_;     // every directory the sandbox joins
  std::vector<std::string> created_;  // the ones made here (incl. parents)
  bool v2_ = false;
};

// OOM notifications of a container's memory cgroup, for `events`: on v1 an
// eventfd registered for memory.oom_control through cgroup.event_control,
// on v2 memory.events, whose "oom_kill" count changes with a POLLPRI.
class OomWatcher {
 public:
  // The watcher of the memory cgroup among `dirs` (State::cgroups);
  // nullopt if there is none (no memory limit made one).
  static std::optional<OomWatcher> Open(const std::vector<std::string>& dirs);
  int fd() const { return fd_.get(); }
  short poll_events() const;
  // After fd() polled ready: the number of OOM events since the last call.
  int Take();

 private:
  UniqueFd fd_;  // v1: the eventfd; v2: memory.events
  bool v2_ = false;
  uint64_t v2_seen_ = 0;  // the last "oom_kill" count read
};

}  // namespace bulwark::runtime

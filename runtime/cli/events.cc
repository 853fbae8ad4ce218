// `bulwark events [--stats] [--interval DURATION] ID`: runc's event stream.
// --stats prints one "stats" event and exits; otherwise a "stats" event is
// printed every interval (default 5s) until the container stops, and an
// "oom" event whenever the container's memory cgroup had an OOM kill. The
// stats come from the sentry (pids, memory, cpu).
#include <poll.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "runtime/cli/cli.h"
#include "runtime/cli/lifecycle.h"
#include "runtime/control_client.h"
#include "runtime/fs.h"

namespace bulwark::runtime::cli {
namespace {

// Go's time.ParseDuration subset: a number with ns/us/ms/s/m/h ("5s",
// "500ms", "1.5s").
Result<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  std::string_view unit(p, text.data() + text.size());
  double ms = -1;
  if (ec == std::errc()) {
    if (unit == "ns") ms = v / 1e6;
    if (unit == "us" || unit == "µs") ms = v / 1e3;
    if (unit == "ms") ms = v;
    if (unit == "s") ms = v * 1e3;
    if (unit == "m") ms = v * 60e3;
    if (unit == "h") ms = v * 3600e3;
  }
  if (ms <= 0) {
    return MakeError("--interval: invalid duration \"" + text + "\" (e.g. 5s, 500ms)", EINVAL);
  }
  return std::chrono::milliseconds(static_cast<long long>(ms < 1 ? 1 : ms));
}

std::string StatsEvent(const std::string& id, const control::Stats& s) {
  nlohmann::ordered_json data;
  data["cpu"]["usage"]["total"] = s.cpu_usage_total;
  data["cpu"]["usage"]["kernel"] = s.cpu_usage_kernel;
  data["cpu"]["usage"]["user"] = s.cpu_usage_user;
  data["memory"]["usage"]["usage"] = s.memory_usage;
  data["pids"]["current"] = s.pids_current;
  if (s.pids_limit != 0) data["pids"]["limit"] = s.pids_limit;
  nlohmann::ordered_json ev;
  ev["type"] = "stats";
  ev["id"] = id;
  ev["data"] = std::move(data);
  return ev.dump();
}

// Sleeps for `period`, printing an "oom" event (runc's: type and id only)
// for each OOM kill `oom` reports meanwhile.
void WaitReportingOom(const std::string& id, std::optional<OomWatcher>& oom,
                      std::chrono::milliseconds period) {
  auto deadline = std::chrono::steady_clock::now() + period;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    if (!oom) {
      std::this_thread::sleep_for(left);
      return;
    }
    pollfd p{oom->fd(), oom->poll_events(), 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r > 0 && (p.revents & (POLLIN | POLLPRI | POLLERR))) {
      for (int n = oom->Take(); n > 0; --n) {
        nlohmann::ordered_json ev;
        ev["type"] = "oom";
        ev["id"] = id;
        printf("%s\n", ev.dump().c_str());
      }
      fflush(stdout);
    }
  }
}

}  // namespace

int EventsMain(Invocation& inv) {
  const Command& cmd = FindCommand("events");
  bool stats = false;
  std::string interval = "5s";
  FlagSet flags;
  flags.Bool("stats", &stats, "print the container's statistics once and exit");
  flags.String("interval", &interval, "time between stats events (default 5s)", 0, "DURATION");
  auto parsed = ParseCommandArgs(inv, cmd, flags);
  if (!parsed) return Fail(inv.flags, parsed.error());
  if (parsed->help) return 0;
  auto id = OneId("events", cmd.usage, parsed->positional);
  if (!id) return Fail(inv.flags, id.error());
  auto period = ParseDuration(interval);
  if (!period) return Fail(inv.flags, period.error());
  auto root = AbsolutePath(inv.flags.root);
  if (!root) return Fail(inv.flags, root.error());
  StateRoot states(*root);
  std::optional<OomWatcher> oom;
  for (bool first = true;; first = false) {
    auto stored = states.Read(*id);
    if (!stored) {
      if (first) return Fail(inv.flags, stored.error());
      return 0;  // deleted
    }
    State s = CurrentState(std::move(*stored));
    if (s.status == Status::kStopped || s.status == Status::kCreating) {
      if (first) return Fail(inv.flags, Error{ESRCH, "container not running"});
      return 0;
    }
    auto st = control::GetStats(ControlDir(states.DirOf(*id)));
    if (!st) {
      if (control::IsNotRunning(st.error())) {
        if (first) return Fail(inv.flags, Error{ESRCH, "container not running"});
        return 0;
      }
      return Fail(inv.flags, st.error());
    }
    printf("%s\n", StatsEvent(*id, *st).c_str());
    fflush(stdout);
    if (stats) return 0;
    if (first) oom = OomWatcher::Open(s.cgroups);
    WaitReportingOom(*id, oom, *period);
  }
}

}  // namespace bulwark::runtime::cli

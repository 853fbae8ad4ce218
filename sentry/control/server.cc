#include "sentry/control/server.h"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "base/log.h"
#include "oci/parse_internal.h"
#include "sentry/fsimpl/devpts/console_relay.h"
#include "sentry/kernel/signal_ops.h"
#include "sentry/kernel/signals.h"
#include "sentry/kernel/thread_group.h"

namespace bulwark::control {

namespace {

using Json = nlohmann::json;

Json Ok() { return Json{{"ok", true}}; }
Json Fail(const std::string& msg) { return Json{{"ok", false}, {"error", msg}}; }

void BlockAllSignals() {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
}

// Optional integer member; an error message names it when mistyped.
std::optional<std::string> GetInt(const Json& req, const char* key, int64_t* out) {
  auto it = req.find(key);
  if (it == req.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) return std::string(key) + ": must be an integer";
  *out = it->get<int64_t>();
  return std::nullopt;
}

std::optional<std::string> GetBool(const Json& req, const char* key, bool* out) {
  auto it = req.find(key);
  if (it == req.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) return std::string(key) + ": must be a boolean";
  *out = it->get<bool>();
  return std::nullopt;
}

std::vector<std::string> Cmdline(const kernel::Task& t) {
  std::vector<std::string> out;
  if (!t.mm_) return out;
  const mm::MemoryManager& mm = t.mm();
  if (mm.arg_end <= mm.arg_start || mm.arg_end - mm.arg_start > (1 << 20)) return out;
  std::string s(mm.arg_end - mm.arg_start, '\0');
  if (!t.CopyInBytes(mm.arg_start, s.data(), s.size())) return out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find('\0', i);
    if (j == std::string::npos) j = s.size();
    out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

Server::Server(kernel::Kernel& k, UniqueFd listen_fd, ProcessFactory factory)
    : k_(k), listen_(std::move(listen_fd)), factory_(std::move(factory)) {}

void Server::Run() {
  std::thread([this] {
    BlockAllSignals();
    AcceptLoop();
  }).detach();
}

void Server::AcceptLoop() {
  while (true) {
    int c = accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      LOG_ERROR("control: accept: %s", strerror(errno));
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      return;  // the listening socket is unusable
    }
    std::thread([this, c] {
      UniqueFd conn(c);
      auto m = ReceiveMessage(conn.get());
      if (!m) {
        LOG_WARN("control: %s", m.error().message.c_str());
        (void)SendJson(conn.get(), Fail(m.error().message));
        return;
      }
      Handle(conn.get(), std::move(m->json), std::move(m->fds));
    }).detach();
  }
}

void Server::Handle(int conn, std::string request, std::vector<UniqueFd> fds) {
  auto req = ParseObject(request);
  if (!req) {
    (void)SendJson(conn, Fail(req.error().message));
    return;
  }
  auto op_it = req->find("op");
  if (op_it == req->end() || !op_it->is_string()) {
    (void)SendJson(conn, Fail("control request: op: must be a string"));
    return;
  }
  std::string op = op_it->get<std::string>();
  LOG_DEBUG("control: %s", op.c_str());
  if (op != "exec" && !fds.empty()) {
    (void)SendJson(conn, Fail("control request: " + op + " takes no fds"));
    return;
  }
  Json reply;
  {
    std::unique_lock<std::mutex> lock(k_.mu);
    if (op == "ready") reply = OpReady(lock);
    else if (op == "start") reply = OpStart();
    else if (op == "signal") reply = OpSignal(*req);
    else if (op == "ps") reply = OpPs();
    else if (op == "pause") reply = OpPause(true);
    else if (op == "resume") reply = OpPause(false);
    else if (op == "stats") reply = OpStats();
    else if (op == "update") reply = OpUpdate(*req);
    else if (op == "exec") {
      OpExec(conn, lock, *req, std::move(fds));
      return;
    } else {
      reply = Fail("control request: unknown op \"" + op + "\"");
    }
  }
  if (auto r = SendJson(conn, reply); !r) LOG_WARN("control: reply to %s: %s", op.c_str(), r.error().message.c_str());
  if (op == "ready") {
    std::lock_guard<std::mutex> lock(k_.mu);
    if (boot_ == BootState::kFailed) {
      boot_error_delivered_ = true;
      cv_.notify_all();
    }
  }
}

void Server::BootDone(std::unique_ptr<kernel::Task> init) {
  init_ = std::move(init);
  boot_ = BootState::kReady;
  cv_.notify_all();
}

bool Server::BootFailed(std::unique_lock<std::mutex>& lock, const std::string& message,
                        int timeout_ms) {
  boot_ = BootState::kFailed;
  boot_error_ = message;
  cv_.notify_all();
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] { return boot_error_delivered_; });
}

void Server::WaitForStart(std::unique_lock<std::mutex>& lock) {
  cv_.wait(lock, [&] { return started_; });
}

void Server::StartInitLocked() {
  started_ = true;
  k_.StartTask(std::move(init_));
  cv_.notify_all();
}

Json Server::OpReady(std::unique_lock<std::mutex>& lock) {
  cv_.wait(lock, [&] { return boot_ != BootState::kBooting; });
  // A failed boot: Handle() marks the error delivered once the reply is
  // sent, and only then may the boot thread exit the sentry.
  if (boot_ == BootState::kFailed) return Fail(boot_error_);
  return Ok();
}

Json Server::OpStart() {
  if (boot_ != BootState::kReady) return Fail("cannot start: the sandbox has not booted");
  if (started_) return Fail("cannot start: init was already started");
  StartInitLocked();
  return Ok();
}

Json Server::OpSignal(const Json& req) {
  int64_t sig = 0, pid = 0;
  bool all = false;
  if (auto e = GetInt(req, "signal", &sig)) return Fail(*e);
  if (auto e = GetInt(req, "pid", &pid)) return Fail(*e);
  if (auto e = GetBool(req, "all", &all)) return Fail(*e);
  if (sig < 0 || sig > kernel::kNumSignals) return Fail("signal " + std::to_string(sig) + ": invalid signal");
  if (pid < 0) return Fail("pid " + std::to_string(pid) + ": invalid pid");
  if (boot_ != BootState::kReady) return Fail("cannot signal: the sandbox has not booted");
  auto info = kernel::MakeSigInfo(static_cast<int>(sig), SI_USER, 0, 0);
  if (!started_) {
    // A created container: runc's init waits in runc code, where a signal
    // with a default action other than "ignore" kills it (and SIGSTOP
    // stops it). Here: start init with the signal pending, which it takes
    // before running any application code.
    if (pid != 0 && pid != init_->tgid() && !all) return Fail("no such process");
    if (sig == 0 || kernel::DefaultActionOf(static_cast<int>(sig)) == kernel::DefaultAction::kIgnore)
      return Ok();
    kernel::ThreadGroup& tg = init_->tg();
    StartInitLocked();
    kernel::SendGroupSignal(tg, info, kernel::SignalSource::kCreatedInit);
    return Ok();
  }
  if (all) {
    std::vector<std::shared_ptr<kernel::ThreadGroup>> tgs;
    for (const auto& [p, tg] : k_.thread_groups())
      if (!tg->zombie) tgs.push_back(tg);
    if (sig != 0)
      for (auto& tg : tgs) kernel::SendGroupSignal(*tg, info, kernel::SignalSource::kOutside);
    return Ok();
  }
  std::shared_ptr<kernel::ThreadGroup> tg =
      pid == 0 ? k_.ThreadGroupByPid(k_.init() ? k_.init()->tgid : 0)
               : k_.ThreadGroupByPid(static_cast<pid_t>(pid));
  if (!tg || tg->zombie) return Fail("no such process");
  // `exec --tty` forwards its terminal's resizes as SIGWINCH: the sandbox
  // ptys take their host terminals' sizes first (console_relay.h).
  if (sig == SIGWINCH) fsimpl::devpts::ResizeConsoles();
  if (sig != 0) kernel::SendGroupSignal(*tg, info, kernel::SignalSource::kOutside);
  return Ok();
}

Json Server::OpPs() {
  Json procs = Json::array();
  auto add = [&](const kernel::ThreadGroup& tg, const kernel::Task* leader) {
    Json p;
    p["pid"] = tg.tgid;
    p["ppid"] = tg.parent ? tg.parent->tgid : 0;
    p["uid"] = leader ? leader->creds().euid : 0;
    std::string state = "S";
    if (tg.zombie || !leader) state = "Z";
    else if (tg.group_stopped || k_.paused) state = "T";
    else if (std::any_of(tg.tasks.begin(), tg.tasks.end(), [](const kernel::Task* t) { return t->in_app.load(); }))
      state = "R";
    p["state"] = state;
    std::string comm = leader ? leader->comm : std::string();
    if (comm.empty() && tg.exe.valid()) comm = tg.exe.dentry->name().substr(0, 15);
    p["comm"] = comm;
    p["cmdline"] = leader ? Cmdline(*leader) : std::vector<std::string>{};
    procs.push_back(std::move(p));
  };
  for (const auto& [pid, tg] : k_.thread_groups()) {
    // A created, not yet started init is held here, not in tg->tasks
    // (StartTask adds it): show it as runc shows its blocked init, not as
    // a zombie.
    const kernel::Task* leader = tg->Leader();
    if (leader == nullptr && init_ != nullptr && init_->tg_ptr() == tg) leader = init_.get();
    add(*tg, leader);
  }
  return Json{{"ok", true}, {"processes", std::move(procs)}};
}

Json Server::OpPause(bool pause) {
  if (boot_ != BootState::kReady) return Fail("cannot pause: the sandbox has not booted");
  k_.paused = pause;
  if (pause) {
    // Tasks in application code are interrupted and park at the top of
    // their run loop; blocked tasks park when their syscall completes.
    for (const auto& [pid, tg] : k_.thread_groups())
      for (kernel::Task* t : tg->tasks) t->Kick();
  } else {
    k_.resume_cv.notify_all();
  }
  return Ok();
}

Json Server::OpStats() {
  uint64_t pids = 0, user = reaped_utime_ns_, sys = reaped_stime_ns_;
  for (const auto& [pid, tg] : k_.thread_groups()) {
    if (!tg->zombie) ++pids;
    // Exited threads, reaped children (each counted in one parent), and
    // live threads.
    user += tg->utime_ns + tg->cutime_ns;
    sys += tg->stime_ns + tg->cstime_ns;
    for (const kernel::Task* t : tg->tasks) {
      user += t->utime_ns;
      sys += t->stime_ns;
    }
  }
  Json s{{"pids.current", pids},
         {"pids.limit", k_.pids_limit},
         {"memory.usage", k_.memory_file().Populated()},
         {"cpu.usage.total", user + sys},
         {"cpu.usage.user", user},
         {"cpu.usage.kernel", sys},
         {"paused", k_.paused}};
  return Json{{"ok", true}, {"stats", std::move(s)}};
}

Json Server::OpUpdate(const Json& req) {
  auto it = req.find("resources");
  if (it == req.end() || !it->is_object()) return Fail("update: resources: must be an object");
  uint64_t limit = k_.pids_limit;
  if (auto p = it->find("pids"); p != it->end() && !p->is_null()) {
    if (!p->is_object()) return Fail("update: resources.pids: must be an object");
    if (auto l = p->find("limit"); l != p->end() && !l->is_null()) {
      if (!l->is_number_integer()) return Fail("update: resources.pids.limit: must be an integer");
      int64_t v = l->get<int64_t>();
      limit = v <= 0 ? 0 : static_cast<uint64_t>(v);  // 0 or -1: unlimited
    }
  }
  k_.pids_limit = limit;
  resources_ = *it;
  return Ok();
}

void Server::OpExec(int conn, std::unique_lock<std::mutex>& lock, const Json& req,
                    std::vector<UniqueFd> fds) {
  auto fail = [&](const std::string& msg) {
    lock.unlock();
    (void)SendJson(conn, Fail(msg));
  };
  if (boot_ != BootState::kReady) return fail("cannot exec: the sandbox has not booted");
  // runsc-like: exec needs a running container (clients never exec into a
  // created one).
  if (!started_) return fail("cannot exec: the container is not running");
  if (k_.init() == nullptr || k_.init()->zombie || k_.init()->exiting)
    return fail("cannot exec: the container is not running");
  std::string stdio = "fds";
  if (auto s = req.find("stdio"); s != req.end() && !s->is_null()) {
    if (!s->is_string()) return fail("exec: stdio: must be \"fds\" or \"tty\"");
    stdio = s->get<std::string>();
  }
  bool terminal = stdio == "tty";
  if (stdio != "fds" && stdio != "tty") return fail("exec: stdio: must be \"fds\" or \"tty\"");
  size_t want = terminal ? 1 : 3;
  // preserve_fds: that many more fds follow the stdio ones (runc exec
  // --preserve-fds); they become the process's fds 3...
  size_t extra = 0;
  if (auto pf = req.find("preserve_fds"); pf != req.end() && !pf->is_null()) {
    if (!pf->is_number_unsigned()) return fail("exec: preserve_fds: must be a non-negative number");
    extra = pf->get<size_t>();
  }
  if (fds.size() != want + extra) {
    std::string what = "stdio \"" + stdio + "\"";
    if (extra > 0) what += " and preserve_fds " + std::to_string(extra);
    return fail("exec: " + what + (extra > 0 ? " need " : " needs ") + std::to_string(want + extra) +
                " fds, got " + std::to_string(fds.size()));
  }
  auto pj = req.find("process");
  if (pj == req.end() || !pj->is_object()) return fail("exec: process: must be an object");
  auto proc = oci::internal::ParseProcess(*pj);
  if (!proc) {
    // The OCI parser names config.json; here it is the exec process.
    std::string msg = proc.error().message;
    if (msg.starts_with("config.json: ")) msg = msg.substr(13);
    return fail("exec: " + msg);
  }
  if (k_.AtPidsLimit())
    return fail("exec: pids limit reached (" + std::to_string(k_.pids_limit) + ")");
  auto task = factory_(*proc, std::move(fds), terminal);
  if (!task) return fail(task.error().message);
  std::shared_ptr<kernel::ThreadGroup> tg = (*task)->tg_ptr();
  // Like runc exec: the parent is outside the sandbox (ppid 0), so the
  // process is no one's child inside; the server reaps it below.
  tg->parent = nullptr;
  pid_t pid = tg->tgid;
  k_.AddThreadGroup(tg);
  k_.StartTask(std::move(*task));
  lock.unlock();
  if (auto r = SendJson(conn, Json{{"ok", true}, {"pid", pid}}); !r)
    LOG_WARN("control: exec reply: %s", r.error().message.c_str());
  lock.lock();
  // Every task exit notifies idle_cv; the group is a zombie once its last
  // thread is gone. The wait goes on if the client went away: the process
  // keeps running and is reaped here.
  k_.idle_cv().wait(lock, [&] { return tg->zombie; });
  // With a terminal, its last output reaches the host before the status.
  if (terminal) fsimpl::devpts::WaitConsoleOutput(lock, pid, std::chrono::seconds(2));
  int status = tg->wait_status;
  if (tg->parent == nullptr && k_.ThreadGroupByPid(pid) == tg) {
    reaped_utime_ns_ += tg->utime_ns + tg->cutime_ns;
    reaped_stime_ns_ += tg->stime_ns + tg->cstime_ns;
    k_.RemoveThreadGroup(pid);
  }
  lock.unlock();
  LOG_DEBUG("control: exec'd pid %d exited with %#x", pid, status);
  (void)SendJson(conn, Json{{"exit", true}, {"status", status}});
}

}  // namespace bulwark::control

#include "runtime/control_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>

#include "sentry/control/protocol.h"

namespace bulwark::runtime::control {

namespace {

using Json = nlohmann::json;
namespace proto = bulwark::control;

Result<UniqueFd> Connect(const std::string& state_dir) {
  std::string path = SocketPath(state_dir);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path))
    return MakeError("control socket path too long: " + path, ENAMETOOLONG);
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd) return HostError("control socket");
  int r;
  do r = connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  while (r < 0 && errno == EINTR);
  if (r < 0) return HostError("connect to the sandbox (" + path + ")");
  return fd;
}

// Reads one reply; {"ok":false} becomes an Error with the sentry's text.
Result<Json> ReadReply(int fd) {
  auto m = TRY(proto::ReceiveMessage(fd));
  Json v = TRY(proto::ParseObject(m.json));
  auto ok = v.find("ok");
  if (ok == v.end() || !ok->is_boolean()) return MakeError("sandbox reply without \"ok\": " + m.json, EPROTO);
  if (!ok->get<bool>()) {
    auto e = v.find("error");
    return MakeError(e != v.end() && e->is_string() ? e->get<std::string>() : "sandbox request failed");
  }
  return v;
}

Result<Json> Call(const std::string& state_dir, const Json& req, const std::vector<int>& fds = {}) {
  UniqueFd fd = TRY(Connect(state_dir));
  TRY(proto::SendJson(fd.get(), req, fds));
  return ReadReply(fd.get());
}

template <typename T>
T Num(const Json& v, const char* key) {
  auto it = v.find(key);
  return it != v.end() && it->is_number() ? it->get<T>() : T{};
}

}  // namespace

std::string SocketPath(const std::string& state_dir) { return state_dir + "/control.sock"; }

bool IsNotRunning(const Error& e) {
  return e.errnum == ECONNREFUSED || e.errnum == ENOENT || e.errnum == ECONNRESET ||
         e.errnum == EPIPE;
}

Result<void> Ready(const std::string& state_dir) {
  TRY(Call(state_dir, Json{{"op", "ready"}}));
  return {};
}

Result<void> Start(const std::string& state_dir) {
  TRY(Call(state_dir, Json{{"op", "start"}}));
  return {};
}

Result<void> Signal(const std::string& state_dir, int sig, bool all, pid_t pid) {
  TRY(Call(state_dir, Json{{"op", "signal"}, {"signal", sig}, {"all", all}, {"pid", pid}}));
  return {};
}

Result<std::vector<ProcessInfo>> Ps(const std::string& state_dir) {
  Json v = TRY(Call(state_dir, Json{{"op", "ps"}}));
  std::vector<ProcessInfo> out;
  auto ps = v.find("processes");
  if (ps == v.end() || !ps->is_array()) return MakeError("sandbox ps reply without processes", EPROTO);
  for (const Json& p : *ps) {
    if (!p.is_object()) continue;
    ProcessInfo i;
    i.pid = Num<pid_t>(p, "pid");
    i.ppid = Num<pid_t>(p, "ppid");
    i.uid = Num<uint32_t>(p, "uid");
    if (auto s = p.find("state"); s != p.end() && s->is_string()) i.state = s->get<std::string>();
    if (auto s = p.find("comm"); s != p.end() && s->is_string()) i.comm = s->get<std::string>();
    if (auto c = p.find("cmdline"); c != p.end() && c->is_array())
      for (const Json& a : *c)
        if (a.is_string()) i.cmdline.push_back(a.get<std::string>());
    out.push_back(std::move(i));
  }
  return out;
}

Result<void> Pause(const std::string& state_dir) {
  TRY(Call(state_dir, Json{{"op", "pause"}}));
  return {};
}

Result<void> Resume(const std::string& state_dir) {
  TRY(Call(state_dir, Json{{"op", "resume"}}));
  return {};
}

Result<Stats> GetStats(const std::string& state_dir) {
  Json v = TRY(Call(state_dir, Json{{"op", "stats"}}));
  auto s = v.find("stats");
  if (s == v.end() || !s->is_object()) return MakeError("sandbox stats reply without stats", EPROTO);
  Stats out;
  out.pids_current = Num<uint64_t>(*s, "pids.current");
  out.pids_limit = Num<uint64_t>(*s, "pids.limit");
  out.memory_usage = Num<uint64_t>(*s, "memory.usage");
  out.cpu_usage_total = Num<uint64_t>(*s, "cpu.usage.total");
  out.cpu_usage_user = Num<uint64_t>(*s, "cpu.usage.user");
  out.cpu_usage_kernel = Num<uint64_t>(*s, "cpu.usage.kernel");
  if (auto p = s->find("paused"); p != s->end() && p->is_boolean()) out.paused = p->get<bool>();
  return out;
}

Result<void> Update(const std::string& state_dir, const std::string& resources_json) {
  Json res = TRY(proto::ParseObject(resources_json));
  TRY(Call(state_dir, Json{{"op", "update"}, {"resources", std::move(res)}}));
  return {};
}

Result<ExecSession> Exec(const std::string& state_dir, const std::string& process_json,
                         const ExecStdio& stdio) {
  auto proc = proto::ParseObject(process_json);
  if (!proc) return MakeError("process: " + proc.error().message, EINVAL);
  Json req{{"op", "exec"}, {"process", std::move(*proc)}, {"stdio", stdio.tty >= 0 ? "tty" : "fds"}};
  // SCM_RIGHTS cannot carry a closed fd: all three must be open.
  std::vector<int> fds;
  if (stdio.tty >= 0) {
    fds.push_back(stdio.tty);
  } else {
    for (int f : {stdio.stdin_fd, stdio.stdout_fd, stdio.stderr_fd}) {
      if (f < 0) return MakeError("exec: closed stdio fds are not supported", EBADF);
      fds.push_back(f);
    }
  }
  if (!stdio.preserved.empty()) {
    req["preserve_fds"] = stdio.preserved.size();
    fds.insert(fds.end(), stdio.preserved.begin(), stdio.preserved.end());
  }
  UniqueFd fd = TRY(Connect(state_dir));
  TRY(proto::SendJson(fd.get(), req, fds));
  Json v = TRY(ReadReply(fd.get()));
  ExecSession s;
  s.state_dir_ = state_dir;
  s.pid_ = Num<pid_t>(v, "pid");
  if (s.pid_ <= 0) return MakeError("sandbox exec reply without a pid", EPROTO);
  s.conn_ = std::move(fd);
  return s;
}

Result<int> ExecSession::Wait() {
  if (!conn_) return MakeError("exec session: not connected", EBADF);
  auto m = proto::ReceiveMessage(conn_.get());
  if (!m) return MakeError("the sandbox stopped before process " + std::to_string(pid_) + " exited",
                           ECONNRESET);
  Json v = TRY(proto::ParseObject(m->json));
  auto ex = v.find("exit");
  auto st = v.find("status");
  if (ex == v.end() || st == v.end() || !st->is_number_integer())
    return MakeError("unexpected sandbox message: " + m->json, EPROTO);
  conn_.reset();
  return st->get<int>();
}

Result<void> ExecSession::Kill(int sig) const { return Signal(state_dir_, sig, false, pid_); }

int ExitCode(int wait_status) {
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return WEXITSTATUS(wait_status);
}

}  // namespace bulwark::runtime::control

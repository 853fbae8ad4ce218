#include "runtime/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/unique_fd.h"

namespace bulwark::runtime {
namespace {

constexpr std::pair<const char*, std::vector<oci::Hook> oci::Hooks::*> kKinds[] = {
    {"prestart", &oci::Hooks::prestart},
    {"createRuntime", &oci::Hooks::create_runtime},
    {"createContainer", &oci::Hooks::create_container},
    {"startContainer", &oci::Hooks::start_container},
    {"poststart", &oci::Hooks::poststart},
    {"poststop", &oci::Hooks::poststop},
};

constexpr size_t kMaxOutput = 4096;  // of a hook's output kept for errors

// Runs one hook; returns "" on success, else the reason.
std::string RunHook(const oci::Hook& hook, const std::string& state_json) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return std::string("pipe: ") + strerror(errno);
  UniqueFd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) != 0) return std::string("pipe: ") + strerror(errno);
  UniqueFd out_r(out[0]), out_w(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) return std::string("pipe: ") + strerror(errno);
  UniqueFd err_r(err[0]), err_w(err[1]);

  std::vector<std::string> args = hook.args;
  if (args.empty()) args.push_back(hook.path);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = hook.env;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int pidfd = -1;
  // SAFETY: clone without CLONE_VM is fork(); the child only calls
  // async-signal-safe functions before exec.
  long pid = ::syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, nullptr, &pidfd, nullptr, nullptr);
  if (pid < 0) return std::string("fork: ") + strerror(errno);
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::dup2(in_r.get(), 0) < 0 || ::dup2(out_w.get(), 1) < 0 || ::dup2(err_w.get(), 2) < 0) {
      ::_exit(127);
    }
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    const char msg[] = "exec failed\n";
    [[maybe_unused]] ssize_t n = ::write(2, msg, sizeof(msg) - 1);
    ::_exit(127);
  }
  UniqueFd child(pidfd);
  in_r.reset();
  out_w.reset();
  err_w.reset();
  // The state is small (well under a pipe buffer); a hook that does not
  // read it must not block us.
  ::fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  [[maybe_unused]] ssize_t wn = ::write(in_w.get(), state_json.data(), state_json.size());
  in_w.reset();

  std::string outputs[2];
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::seconds(hook.timeout.value_or(0));
  bool timed_out = false;
  struct pollfd pfds[3] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0},
                           {child.get(), POLLIN, 0}};
  for (;;) {
    int timeout_ms = -1;
    if (hook.timeout) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      timeout_ms = std::max<int>(0, static_cast<int>(left.count()));
    }
    bool open = pfds[0].fd >= 0 || pfds[1].fd >= 0;
    if (!open) break;
    int r = ::poll(pfds, 3, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      timed_out = true;
      ::syscall(SYS_pidfd_send_signal, child.get(), SIGKILL, nullptr, 0);
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (pfds[i].fd < 0 || pfds[i].revents == 0) continue;
      char buf[1024];
      ssize_t n = ::read(pfds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        pfds[i].fd = -1;
      } else if (outputs[i].size() < kMaxOutput) {
        outputs[i].append(buf, static_cast<size_t>(n));
      }
    }
    // The hook exited but a grandchild holds its pipes: stop reading once
    // the timeout (if any) is what is left to wait for.
    if (pfds[2].revents != 0 && !hook.timeout) pfds[2].fd = -1;
  }
  siginfo_t info{};
  while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(child.get()), &info,
                  WEXITED) != 0 &&
         errno == EINTR) {
  }
  std::string reason;
  if (timed_out) {
    reason = "timeout after " + std::to_string(*hook.timeout) + " seconds";
  } else if (info.si_code == CLD_EXITED && info.si_status == 0) {
    return "";
  } else if (info.si_code == CLD_EXITED) {
    reason = "exit status " + std::to_string(info.si_status);
  } else {
    reason = std::string("signal: ") + strsignal(info.si_status);
  }
  return reason + ", stdout: " + outputs[0] + ", stderr: " + outputs[1];
}

}  // namespace

std::string HooksToJson(const oci::Hooks& hooks) {
  nlohmann::json j = nlohmann::json::object();
  for (auto& [name, member] : kKinds) {
    const auto& list = hooks.*member;
    if (list.empty()) continue;
    nlohmann::json arr = nlohmann::json::array();
    for (const oci::Hook& h : list) {
      nlohmann::json o = {{"path", h.path}, {"args", h.args}, {"env", h.env}};
      if (h.timeout) o["timeout"] = *h.timeout;
      arr.push_back(std::move(o));
    }
    j[name] = std::move(arr);
  }
  return j.empty() ? "" : j.dump();
}

Result<oci::Hooks> HooksFromJson(std::string_view text) {
  oci::Hooks hooks;
  if (text.empty()) return hooks;
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return MakeError("state.json: hooks: not an object");
  for (auto& [name, member] : kKinds) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_array()) continue;
    for (auto& o : *it) {
      if (!o.is_object()) continue;
      oci::Hook h;
      h.path = o.value("path", std::string());
      h.args = o.value("args", std::vector<std::string>());
      h.env = o.value("env", std::vector<std::string>());
      if (o.contains("timeout") && o["timeout"].is_number_integer()) h.timeout = o["timeout"].get<int>();
      (hooks.*member).push_back(std::move(h));
    }
  }
  return hooks;
}

Result<void> RunHooks(std::string_view kind, const std::vector<oci::Hook>& hooks,
                      const std::string& state_json) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    std::string reason = RunHook(hooks[i], state_json);
    if (!reason.empty()) {
      return MakeError("error running " + std::string(kind) + " hook #" + std::to_string(i) +
                       ": " + reason);
    }
  }
  return {};
}

void RunHooksWarnOnly(std::string_view kind, const std::vector<oci::Hook>& hooks,
                      const std::string& state_json) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    std::string reason = RunHook(hooks[i], state_json);
    if (reason.empty()) continue;
    std::string msg = "error running " + std::string(kind) + " hook #" + std::to_string(i) +
                      ": " + reason;
    for (char& c : msg) {
      if (c == '\n') c = ' ';
    }
    fprintf(stderr, "bulwark: warning: %s\n", msg.c_str());
  }
}

}  // namespace bulwark::runtime

// `bulwark exec [flags] ID [COMMAND [ARG...]]` or `--process FILE`: runs a
// new process in a running sandbox. Without --detach the runtime waits and
// exits with the process's status (128+N after signal N), forwarding the
// signals it gets. With --detach and --pid-file, a small host helper (the
// pid in the pid file, a child of the caller once the runtime exits) waits
// for the process and exits with its status, like runsc's.
#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "runtime/cli/cli.h"
#include "runtime/cli/lifecycle.h"
#include "runtime/console.h"
#include "runtime/control_client.h"
#include "runtime/fs.h"
#include "runtime/signals.h"

namespace bulwark::runtime::cli {
namespace {

struct ExecFlags {
  std::string process_file;
  bool detach = false;
  bool tty = false;
  std::string console_socket;
  std::string pid_file;
  std::vector<std::string> env;
  std::string cwd;
  std::string user;
  std::vector<std::string> additional_gids;
  std::string preserve_fds = "0";
  bool no_new_privs = false;
};

Result<uint32_t> ParseId(const std::string& what, std::string_view text) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty()) {
    return MakeError("--" + what + ": \"" + std::string(text) + "\" is not a numeric id", EINVAL);
  }
  return v;
}

// The process object: --process FILE as given, else the container's own
// process with the command line's args and overrides (runc's getProcess).
Result<nlohmann::json> BuildProcess(const ExecFlags& f, const State& state,
                                    const std::vector<std::string>& args) {
  if (!f.process_file.empty()) {
    std::string text = TRY(ReadFile(f.process_file));
    auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return MakeError("--process " + f.process_file + ": not a JSON object", EINVAL);
    }
    // conmon sends --tty along with "terminal": true; either asks for one.
    if (f.tty) j["terminal"] = true;
    return j;
  }
  if (args.empty()) return MakeError("exec: no command given (or --process FILE)", EINVAL);
  std::string config = TRY(ReadFile(state.bundle + "/config.json"));
  auto spec = nlohmann::json::parse(config, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded() || !spec.is_object() || !spec.contains("process") ||
      !spec["process"].is_object()) {
    return MakeError(state.bundle + "/config.json: no process object to start from", EINVAL);
  }
  nlohmann::json p = spec["process"];
  p["args"] = args;
  p["terminal"] = f.tty;
  p.erase("consoleSize");
  if (!f.cwd.empty()) p["cwd"] = f.cwd;
  std::vector<std::string> env = p.value("env", std::vector<std::string>());
  for (const std::string& e : f.env) {
    std::string key = e.substr(0, e.find('='));
    std::erase_if(env, [&](const std::string& x) { return x.substr(0, x.find('=')) == key; });
    env.push_back(e);
  }
  p["env"] = env;
  if (!f.user.empty()) {
    size_t colon = f.user.find(':');
    p["user"]["uid"] = TRY(ParseId("user", std::string_view(f.user).substr(0, colon)));
    if (colon != std::string::npos) {
      p["user"]["gid"] = TRY(ParseId("user", std::string_view(f.user).substr(colon + 1)));
    } else {
      p["user"]["gid"] = 0;
    }
  }
  if (!f.additional_gids.empty()) {
    std::vector<uint32_t> gids;
    for (const auto& g : f.additional_gids) gids.push_back(TRY(ParseId("additional-gids", g)));
    p["user"]["additionalGids"] = gids;
  }
  if (f.no_new_privs) p["noNewPrivileges"] = true;
  return p;
}

// Waits for the exec'd process, forwarding the catchable signals this
// process gets (they are blocked and read from a signalfd). Returns the
// exit code to exit with.
int WaitForwarding(control::ExecSession& session, const sigset_t& set) {
  UniqueFd sfd(::signalfd(-1, &set, SFD_CLOEXEC));
  for (;;) {
    struct pollfd pfds[2] = {{session.fd(), POLLIN, 0}, {sfd.get(), POLLIN, 0}};
    int r = ::poll(pfds, sfd ? 2 : 1, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r > 0 && sfd && (pfds[1].revents & POLLIN)) {
      struct signalfd_siginfo si;
      if (::read(sfd.get(), &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGCHLD) {
        (void)session.Kill(static_cast<int>(si.ssi_signo));
      }
      continue;
    }
    auto status = session.Wait();
    if (!status) {
      fprintf(stderr, "bulwark: exec: %s\n", status.error().message.c_str());
      return 255;
    }
    return control::ExitCode(*status);
  }
}

}  // namespace

int ExecMain(Invocation& inv) {
  const Command& cmd = FindCommand("exec");
  ExecFlags f;
  FlagSet flags;
  flags.String("process", &f.process_file, "the process as an OCI process JSON file", 'p',
               "FILE");
  flags.Bool("detach", &f.detach, "do not wait for the process", 'd');
  flags.Bool("tty", &f.tty, "give the process a terminal", 't');
  flags.String("console-socket", &f.console_socket,
               "send the pty master to this unix socket", 0, "PATH");
  flags.String("pid-file", &f.pid_file, "write the waiting helper's host pid to FILE", 0,
               "FILE");
  flags.Custom(
      "env", "NAME=VALUE",
      [&f](std::string_view v) -> Result<void> {
        f.env.emplace_back(v);
        return {};
      },
      "set an environment variable (repeatable)");
  flags.String("cwd", &f.cwd, "working directory in the container", 0, "DIR");
  flags.String("user", &f.user, "UID[:GID] to run as", 'u', "UID[:GID]");
  flags.Custom(
      "additional-gids", "GID",
      [&f](std::string_view v) -> Result<void> {
        f.additional_gids.emplace_back(v);
        return {};
      },
      "an additional group (repeatable)");
  flags.String("preserve-fds", &f.preserve_fds, "pass the fds 3..3+N-1 to the process as its fds 3..3+N-1", 0, "N");
  flags.Bool("no-new-privs", &f.no_new_privs, "set no_new_privs for the process");
  std::string ignored;
  flags.String("process-label", &ignored, "accepted for runc compatibility", 0, "LABEL");
  flags.String("apparmor", &ignored, "accepted for runc compatibility", 0, "PROFILE");
  flags.Custom(
      "cap", "CAP", [](std::string_view) -> Result<void> { return {}; },
      "accepted for runc compatibility (ignored)");
  auto parsed = ParseCommandArgs(inv, cmd, flags, FlagSet::Mode::kStopAtPositional);
  if (!parsed) return Fail(inv.flags, parsed.error());
  if (parsed->help) return 0;
  if (parsed->positional.empty()) {
    return Fail(inv.flags, Error{EINVAL, "exec: missing container id"});
  }
  auto preserved = PreservedFds(f.preserve_fds);
  if (!preserved) return Fail(inv.flags, preserved.error());
  const std::string id = parsed->positional[0];
  std::vector<std::string> args(parsed->positional.begin() + 1, parsed->positional.end());

  auto root = AbsolutePath(inv.flags.root);
  if (!root) return Fail(inv.flags, root.error());
  StateRoot states(*root);
  auto stored = states.Read(id);
  if (!stored) return Fail(inv.flags, stored.error());
  State state = CurrentState(std::move(*stored));
  if (state.status == Status::kStopped || state.status == Status::kCreating) {
    return Fail(inv.flags, Error{EINVAL, "cannot exec in a stopped container"});
  }
  if (state.status == Status::kPaused) {
    return Fail(inv.flags, Error{EINVAL, "cannot exec in a paused container"});
  }
  auto process = BuildProcess(f, state, args);
  if (!process) return Fail(inv.flags, process.error());
  bool terminal = process->value("terminal", false);
  // runc's wording (utils_linux.go).
  if (!f.console_socket.empty() && !terminal) {
    return Fail(inv.flags, Error{EINVAL, "cannot use console socket if runc will not detach "
                                         "or allocate tty"});
  }
  if (terminal && f.console_socket.empty() && f.detach) {
    return Fail(inv.flags, Error{EINVAL, "cannot allocate tty if runc will detach without "
                                         "setting console socket"});
  }
  std::string pid_file;
  if (!f.pid_file.empty()) {
    auto p = AbsolutePath(f.pid_file);
    if (!p) return Fail(inv.flags, p.error());
    pid_file = *p;
  }

  control::ExecStdio stdio;
  stdio.preserved = *preserved;
  std::optional<Pty> pty;
  std::optional<SavedTerminal> saved_terminal;  // restored when this returns
  if (terminal) {
    if (!f.console_socket.empty()) {
      auto p = OpenPty();
      if (!p) return Fail(inv.flags, p.error());
      pty = std::move(*p);
      stdio.tty = pty->replica.get();
    } else if (::isatty(0)) {
      stdio.tty = 0;
      saved_terminal = SavedTerminal::Save(0);
    } else {
      return Fail(inv.flags, Error{ENOTTY, "exec --tty: there is no --console-socket and stdin "
                                           "is not a terminal"});
    }
  }

  // Block the forwarded signals before the process exists, so none is lost.
  sigset_t set, old;
  sigemptyset(&set);
  for (int sig : ForwardedSignals()) sigaddset(&set, sig);
  sigaddset(&set, SIGCONT);
  sigprocmask(SIG_BLOCK, &set, &old);

  auto session = control::Exec(ControlDir(states.DirOf(id)), process->dump(), stdio);
  if (!session) {
    if (control::IsNotRunning(session.error())) {
      return Fail(inv.flags, Error{EINVAL, "cannot exec in a stopped container"});
    }
    return Fail(inv.flags, session.error());
  }
  if (pty) {
    pty->replica.reset();
    if (auto r = SendConsoleFd(AbsolutePath(f.console_socket).value_or(f.console_socket),
                               pty->master.get());
        !r) {
      (void)session->Kill(SIGKILL);
      return Fail(inv.flags, r.error());
    }
    pty->master.reset();
  }

  if (!f.detach) {
    if (!pid_file.empty()) {
      if (auto r = WriteFileAtomic(pid_file, std::to_string(::getpid()), 0644); !r) {
        (void)session->Kill(SIGKILL);
        return Fail(inv.flags, r.error());
      }
    }
    return WaitForwarding(*session, set);
  }
  if (pid_file.empty()) return 0;  // nobody can wait for it: nothing to keep

  fflush(stdout);
  fflush(stderr);
  pid_t helper = ::fork();
  if (helper < 0) {
    (void)session->Kill(SIGKILL);
    return Fail(inv.flags, Error{errno, "exec: fork the waiting helper failed"});
  }
  if (helper == 0) {
    // The helper holds none of the caller's stdio: a client waiting for
    // EOF on them waits for the process, not for us.
    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd >= 0) {
      ::dup2(null_fd, 0);
      ::dup2(null_fd, 1);
      ::dup2(null_fd, 2);
    }
    ::setsid();
    ::_exit(WaitForwarding(*session, set));
  }
  if (auto r = WriteFileAtomic(pid_file, std::to_string(helper), 0644); !r) {
    (void)session->Kill(SIGKILL);
    return Fail(inv.flags, r.error());
  }
  return 0;
}

}  // namespace bulwark::runtime::cli

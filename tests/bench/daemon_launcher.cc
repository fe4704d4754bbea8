#include "tests/bench/daemon_launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

extern char** environ;

namespace xenia::bench {
namespace {

// A new directory under $TMPDIR (or /tmp), short enough for socket paths.
absl::StatusOr<std::string> MakeTempDir() {
  const char* base = getenv("TMPDIR");
  std::string templ =
      absl::StrCat(base != nullptr && base[0] != '\0' ? base : "/tmp", "/xenia-bench-XXXXXX");
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp(", templ, "): ", std::strerror(errno)));
  }
  return std::string(buf.data());
}

// A datagram socket bound at `path`, on which xeniad reports READY=1.
absl::StatusOr<int> BindNotifySocket(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", path));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    close(fd);
    return absl::InternalError(absl::StrCat("bind(", path, "): ", std::strerror(err)));
  }
  return fd;
}

// The environment of this process with NOTIFY_SOCKET replaced.
std::vector<std::string> ChildEnvironment(const std::string& notify_socket) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!absl::StartsWith(*e, "NOTIFY_SOCKET=")) env.emplace_back(*e);
  }
  env.push_back(absl::StrCat("NOTIFY_SOCKET=", notify_socket));
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int ExitCode(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

absl::StatusOr<std::unique_ptr<DaemonLauncher>> DaemonLauncher::Start(
    const std::string& xeniad_path, const std::vector<std::string>& args,
    absl::Duration ready_timeout) {
  if (access(xeniad_path.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("xeniad not found or not executable: ", xeniad_path,
                                            " (build it, or pass --xeniad PATH)"));
  }
  absl::StatusOr<std::string> dir = MakeTempDir();
  if (!dir.ok()) return dir.status();
  std::unique_ptr<DaemonLauncher> d(new DaemonLauncher());
  d->xeniad_path_ = xeniad_path;
  d->dir_ = *dir;
  d->state_dir_ = absl::StrCat(d->dir_, "/state");
  d->socket_ = absl::StrCat(d->dir_, "/xeniad.sock");
  if (absl::Status s = d->Launch(args, ready_timeout); !s.ok()) return s;
  return d;
}

absl::Status DaemonLauncher::Restart(const std::vector<std::string>& args,
                                     absl::Duration ready_timeout) {
  if (!Exited()) {
    return absl::FailedPreconditionError(
        absl::StrCat("xeniad (PID ", pid_, ") still runs; stop or kill it before a restart"));
  }
  JoinReader();
  return Launch(args, ready_timeout);
}

absl::Status DaemonLauncher::Launch(const std::vector<std::string>& args,
                                    absl::Duration ready_timeout) {
  std::string notify_path = absl::StrCat(dir_, "/notify.sock");
  unlink(notify_path.c_str());  // the previous process's, after a restart
  absl::StatusOr<int> notify_fd = BindNotifySocket(notify_path);
  if (!notify_fd.ok()) return notify_fd.status();

  std::vector<std::string> argv = {xeniad_path_, "--state-dir", state_dir_, "--socket", socket_};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env = ChildEnvironment(notify_path);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    close(*notify_fd);
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  std::vector<char*> c_argv = CStrings(argv);
  std::vector<char*> c_env = CStrings(env);
  {
    std::lock_guard<std::mutex> lock(mu_);
    log_.clear();
  }
  pid_t parent = getpid();
  const std::chrono::steady_clock::time_point launched = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec. If this benchmark
    // dies, however it dies, the daemon is killed with it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(pipe_fds[1], 2) < 0) {
      _exit(127);
    }
    execve(c_argv[0], c_argv.data(), c_env.data());
    _exit(127);
  }
  int fork_errno = errno;
  close(pipe_fds[1]);
  if (pid < 0) {
    close(pipe_fds[0]);
    close(*notify_fd);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(fork_errno)));
  }
  pid_ = pid;
  exited_ = false;
  exit_code_ = 0;
  reader_ = std::thread([this, fd = pipe_fds[0]] { ReadLoop(fd); });

  absl::Time give_up = absl::Now() + ready_timeout;
  bool ready = false;
  while (!ready) {
    pollfd p{*notify_fd, POLLIN, 0};
    poll(&p, 1, 50);
    char buf[512];
    ssize_t n;
    while ((n = recv(*notify_fd, buf, sizeof(buf) - 1, 0)) > 0) {
      buf[n] = '\0';
      for (absl::string_view line : absl::StrSplit(absl::string_view(buf, n), '\n')) {
        if (line == "READY=1") ready = true;
      }
    }
    if (!ready && absl::StrContains(Log(), "msg=\"xeniad ready\"")) ready = true;
    if (ready) {
      exec_to_ready_ = absl::FromChrono(std::chrono::steady_clock::now() - launched);
      break;
    }
    if (Exited()) {
      close(*notify_fd);
      JoinReader();
      return absl::UnavailableError(absl::StrCat("xeniad exited with code ", exit_code_,
                                                 " before it was ready; it wrote:\n", Log()));
    }
    if (absl::Now() > give_up) {
      close(*notify_fd);
      return absl::DeadlineExceededError(absl::StrCat(
          "xeniad not ready after ", absl::FormatDuration(ready_timeout), "; it wrote:\n", Log()));
    }
  }
  close(*notify_fd);
  return absl::OkStatus();
}

DaemonLauncher::~DaemonLauncher() {
  if (pid_ > 0 && !Exited()) KillAndReap();
  JoinReader();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

void DaemonLauncher::KillAndReap() {
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exited_ = true;
  exit_code_ = ExitCode(status);
  JoinReader();
}

void DaemonLauncher::ReadLoop(int fd) {
  char buf[4096];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::lock_guard<std::mutex> lock(mu_);
    log_.append(buf, static_cast<size_t>(n));
  }
  close(fd);
}

void DaemonLauncher::JoinReader() {
  if (reader_.joinable()) reader_.join();
}

bool DaemonLauncher::Exited() {
  if (exited_) return true;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    exit_code_ = ExitCode(status);
  }
  return exited_;
}

absl::StatusOr<int> DaemonLauncher::Stop(absl::Duration timeout) {
  if (!Exited()) {
    kill(pid_, SIGTERM);
    absl::Time give_up = absl::Now() + timeout;
    while (!Exited() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));
    if (!Exited()) {
      KillAndReap();
      return absl::DeadlineExceededError(absl::StrCat(
          "xeniad did not stop within ", absl::FormatDuration(timeout), " of SIGTERM; killed"));
    }
  }
  JoinReader();
  return exit_code_;
}

absl::StatusOr<int> DaemonLauncher::Kill() {
  if (Exited()) {
    JoinReader();
    return absl::UnavailableError(
        absl::StrCat("xeniad had already exited (exit code ", exit_code_, ") when it was killed"));
  }
  KillAndReap();
  return exit_code_;
}

std::string DaemonLauncher::Log() {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

}  // namespace xenia::bench

// DaemonLauncher: starts a private xeniad for the benchmark on a fresh
// temporary directory (state dir and unix socket inside it), waits until it
// is ready, keeps draining its stderr, and on Stop or destruction stops it
// and removes the directory. For the start-up benchmark it can also kill the
// daemon as a crash would (Kill) and start a new daemon process on the same
// directory (Restart), timing each start from fork to readiness.
//
// Readiness: xeniad logs "xeniad ready" at info level and, like any
// systemd Type=notify service, sends READY=1 to $NOTIFY_SOCKET once it
// serves. The launcher gives it a NOTIFY_SOCKET of its own, so readiness is
// seen whatever --log-level the daemon runs at.
//
// The daemon gets PR_SET_PDEATHSIG(SIGKILL): if the benchmark dies, so does
// the daemon, and it is never left running on its own.
//
// Thread-safety: a DaemonLauncher is driven by one thread (the benchmark's
// main thread); its stderr is read on a thread of its own, and Log() may be
// called from any thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace xenia::bench {

class DaemonLauncher {
 public:
  // Runs `xeniad_path` with `--state-dir DIR/state --socket DIR/xeniad.sock`
  // followed by `args`, where DIR is a new directory under $TMPDIR (or
  // /tmp). Fails, with what the daemon wrote, if it exits or is not ready
  // within `ready_timeout`.
  static absl::StatusOr<std::unique_ptr<DaemonLauncher>> Start(
      const std::string& xeniad_path, const std::vector<std::string>& args,
      absl::Duration ready_timeout = absl::Seconds(60));

  // Kills the daemon if it still runs, and removes the directory.
  ~DaemonLauncher();

  DaemonLauncher(const DaemonLauncher&) = delete;
  DaemonLauncher& operator=(const DaemonLauncher&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  const std::string& socket() const { return socket_; }
  const std::string& state_dir() const { return state_dir_; }

  // SIGTERM, then waits up to `timeout` (SIGKILL after that). Returns the exit
  // code (128 + signal if killed by one); an error if it had to be killed.
  absl::StatusOr<int> Stop(absl::Duration timeout = absl::Seconds(30));

  // SIGKILL, as a crash would, and waits until the process is gone. Returns
  // its exit code (128 + SIGKILL); UNAVAILABLE if it had already exited on
  // its own.
  absl::StatusOr<int> Kill();

  // Runs a new xeniad process on the same directory (the same state dir and
  // socket) with `args` in place of the previous ones, and waits until it is
  // ready, as Start does. The previous process must be gone (Stop or Kill):
  // FAILED_PRECONDITION otherwise.
  absl::Status Restart(const std::vector<std::string>& args,
                       absl::Duration ready_timeout = absl::Seconds(60));

  // For the current process: the steady-clock time from just before fork()
  // to the moment its READY=1 (or its "xeniad ready" log line) was read.
  absl::Duration exec_to_ready() const { return exec_to_ready_; }

  // True if the process has exited (reaps it if so).
  bool Exited();

  // Everything the current daemon process has written to stderr so far (a
  // Restart starts it afresh).
  std::string Log();

 private:
  DaemonLauncher() = default;
  // Forks and execs xeniad on dir_ with `args`, and waits until it is ready.
  absl::Status Launch(const std::vector<std::string>& args, absl::Duration ready_timeout);
  // SIGKILL, then reaps the process and joins the reader.
  void KillAndReap();
  void ReadLoop(int fd);
  void JoinReader();

  std::string xeniad_path_;
  std::string dir_;
  std::string socket_;
  std::string state_dir_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = 0;
  absl::Duration exec_to_ready_;
  std::thread reader_;
  std::mutex mu_;
  std::string log_;
};

}  // namespace xenia::bench

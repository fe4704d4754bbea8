// xeniad's entry point: read the command line, start the daemon, tell
// systemd it is ready, and stop cleanly on SIGTERM or SIGINT.
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>

#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/logger.h"
#include "daemon/config/command_line.h"
#include "daemon/sd_notify.h"
#include "daemon/xeniad.h"

int main(int argc, char** argv) {
  xenia::CommandLine cmd = xenia::ParseCommandLine(argc, argv);
  if (cmd.exit_now) {
    std::fprintf(cmd.exit_code == 0 ? stdout : stderr, "%s\n", cmd.message.c_str());
    return cmd.exit_code;
  }

  // Signals are taken synchronously by this thread only; block them before
  // any other thread exists so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // The database and state files are the daemon's alone.
  umask(077);

  // Lock-order checking costs a graph update on every lock; the tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  xenia::LogLevel level = xenia::LogLevel::kInfo;
  xenia::ParseLogLevel(cmd.config.log_level, &level);
  xenia::Logger logger(level, stderr);
  xenia::SystemClock clock;
  if (!cmd.config_file.empty()) logger.Info("read config", {{"file", cmd.config_file}});

  absl::StatusOr<std::unique_ptr<xenia::Xeniad>> daemon =
      xenia::Xeniad::Start(cmd.config, clock, logger);
  if (!daemon.ok()) {
    logger.Error("xeniad cannot start", {{"error", daemon.status().message()}});
    return 1;
  }
  xenia::NotifySystemd("READY=1\nSTATUS=serving");

  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      logger.Info("SIGHUP: nothing to reload yet; the config is read at start");
      continue;
    }
    logger.Info("signal received; stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    break;
  }
  xenia::NotifySystemd("STOPPING=1");
  (*daemon)->Stop();
  return 0;
}

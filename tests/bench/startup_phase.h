// The startup phase of xenia_bench: how long xeniad takes to start and
// reconcile with many domains, and how much memory it needs, as the project
// asks (goals: under 1 s with 10,000 defined and 1,000 running domains,
// under 64 MiB peak RSS). It starts a daemon of its own on a new directory,
// defines N domains and starts M of them through the API with several
// clients, kills the daemon with SIGKILL (the simulated guests outlive it in
// the state directory's sim-host.state, as they would on Xen), starts a new
// daemon on the same directory, and prints the figures of that start: time
// from fork to READY=1, the reconciliation time the daemon logs, its peak
// and current RSS. It then checks that the new daemon lists the N domains
// and M of them RUNNING. It repeats this after a clean stop (SIGTERM), with
// the prefix startup_clean_, and removes the directory at the end.
//
// Thread-safety: call from the main thread; the setup runs on the threads of
// a ClientPool of its own.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace xenia::bench {

struct StartupOptions {
  // The xeniad to run.
  std::string xeniad;
  // Its arguments besides --state-dir, --socket and --log-level (the phase
  // gives --log-level warning for the setup and info for the measured
  // starts, whose "xeniad ready" line carries recovery_ms).
  std::vector<std::string> host_args;
  // Domains to define, and how many of them to start.
  int defined = 10000;
  int running = 1000;
  // Clients (threads, a connection each) that define and start the domains.
  int threads = 8;
  // Domains are named "<tag>-st-NNNNNN".
  std::string tag;
  // Called with the PID and directory of the phase's daemon whenever they
  // change: PID 0 while no daemon process runs, and dir "" once the phase has
  // removed the directory; so that an interrupted benchmark can clean up.
  std::function<void(pid_t pid, const std::string& dir)> on_daemon;
};

absl::Status RunStartup(const StartupOptions& options);

}  // namespace xenia::bench

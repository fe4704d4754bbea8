// The events phase of xenia_bench: W watchers (1, then 1,000; see
// --watchers) follow WatchEvents for one domain while a client starts and
// destroys it over and over; each watcher records, for every operation's
// DONE event, the time from the operation's end (the event's own time,
// stamped when the daemon journals the end, before its fsync) to the moment
// the watcher read it. Prints median and p99 per W, and the daemon's memory
// with the watchers connected.
//
// Thread-safety: call from the main thread; gRPC's callback threads run the
// watchers.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "tests/bench/bench_client.h"
#include "tests/bench/bench_target.h"

namespace xenia::bench {

struct EventOptions {
  // Numbers of concurrent watchers to measure with.
  std::vector<int> watchers = {1, 1000};
  // Start/destroy pairs per measurement (two DONE events each).
  int pairs = 100;
};

absl::Status RunEventLatency(const BenchTarget& target, BenchClient& client,
                             const EventOptions& options);

}  // namespace xenia::bench

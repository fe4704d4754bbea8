// The lifecycle phases of xenia_bench, as libvirt_bench.py's seq_lifecycle
// and conc_lifecycle: define N domains, start them all, destroy them all,
// delete them all — once on one client (seq_*), once split over T threads
// with a client each (conc<T>_*, a barrier between the steps). Each op is the
// RPC plus waiting for its Operation to be done. Prints the figures.
//
// Thread-safety: call from the main thread; RunConcLifecycle makes and joins
// its own threads.
#pragma once

#include "absl/status/status.h"
#include "tests/bench/bench_client.h"
#include "tests/bench/bench_target.h"

namespace xenia::bench {

// Domains named "<tag>-s-NNNNNN", on `client`.
absl::Status RunSeqLifecycle(const BenchTarget& target, BenchClient& client, int n);

// Domains named "<tag>-c<T>-NNNNNN"; thread t takes t, t+T, … . `checker`
// (not one of the threads' clients) counts the running domains between start
// and destroy.
absl::Status RunConcLifecycle(const BenchTarget& target, BenchClient& checker, int n, int threads);

// How many domains whose names start with `prefix` are RUNNING.
absl::StatusOr<int> CountRunning(BenchClient& client, const std::string& prefix);

}  // namespace xenia::bench

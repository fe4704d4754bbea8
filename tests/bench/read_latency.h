// The read phase of xenia_bench: with 1,000 and then 10,000 (see
// --read-sizes) halted domains defined, the latency of GetDomain and of
// listing every domain with ListDomains (page_size 1000, following
// next_page_token), like libvirt_bench.py's info_* and list*k_* figures; the
// daemon's memory after the largest list and after deleting the domains.
// Prints the figures.
//
// Thread-safety: call from the main thread; `pool` runs the setup and
// teardown on threads of its own.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "tests/bench/bench_client.h"
#include "tests/bench/bench_target.h"
#include "tests/bench/client_pool.h"

namespace xenia::bench {

struct ReadOptions {
  // Ascending numbers of bench domains to measure with.
  std::vector<int> sizes = {1000, 10000};
  int get_warmup = 50;
  int get_calls = 1000;
  int list_warmup = 3;
  int list_calls = 50;
  int list_page_size = 1000;
  // Domains the daemon held before the benchmark began (listed too).
  int preexisting = 0;
};

// Domains named "<tag>-r-NNNNNN": measured with `client`, defined and deleted
// with `pool`.
absl::Status RunReads(const BenchTarget& target, BenchClient& client, ClientPool& pool,
                      const ReadOptions& options);

}  // namespace xenia::bench

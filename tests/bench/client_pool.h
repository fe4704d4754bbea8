// ClientPool: T BenchClients, each with its own channel and connection to
// xeniad, and a way to spread a list of domains over them, one thread per
// client.
//
// Thread-safety: the pool is owned and driven by one thread (the main
// thread); RunSplit runs each client on a thread of its own and returns when
// all are done.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/bench/bench_client.h"

namespace xenia::bench {

class ClientPool {
 public:
  // Makes `count` clients to `socket` and connects them all.
  static absl::StatusOr<std::unique_ptr<ClientPool>> Connect(const std::string& socket, int count);

  int size() const { return static_cast<int>(clients_.size()); }
  BenchClient& client(int i) { return *clients_[static_cast<size_t>(i)]; }

  // Runs `verb` on every domain in `ids`: client t takes ids t, t+T, t+2T, …
  // in order, on its own thread. Stops every thread at the first failure and
  // returns it.
  absl::Status RunSplit(Verb verb, const std::vector<std::string>& ids);

 private:
  std::vector<std::unique_ptr<BenchClient>> clients_;
};

}  // namespace xenia::bench

#include "tests/bench/client_pool.h"

#include <atomic>
#include <mutex>
#include <thread>

namespace xenia::bench {

absl::StatusOr<std::unique_ptr<ClientPool>> ClientPool::Connect(const std::string& socket,
                                                                int count) {
  auto pool = std::make_unique<ClientPool>();
  for (int i = 0; i < count; ++i) {
    pool->clients_.push_back(std::make_unique<BenchClient>(socket));
    if (absl::Status s = pool->clients_.back()->Connect(); !s.ok()) return s;
  }
  return pool;
}

absl::Status ClientPool::RunSplit(Verb verb, const std::vector<std::string>& ids) {
  std::atomic<bool> failed{false};
  std::mutex mu;
  absl::Status first_error;
  std::vector<std::thread> threads;
  const size_t t_count = clients_.size();
  for (size_t t = 0; t < t_count; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < ids.size() && !failed.load(); i += t_count) {
        absl::Status s = clients_[t]->RunOp(verb, ids[i]);
        if (!s.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (first_error.ok()) first_error = s;
          failed.store(true);
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  return first_error;
}

}  // namespace xenia::bench

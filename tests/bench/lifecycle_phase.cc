#include "tests/bench/lifecycle_phase.h"

#include <atomic>
#include <barrier>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/bench/client_pool.h"
#include "tests/bench/stats.h"

namespace xenia::bench {
namespace {

constexpr int kVerbs = 4;

int Index(Verb verb) { return static_cast<int>(verb); }

// What one run of the four steps measured.
struct LifecycleFigures {
  double total[kVerbs] = {};
  Samples latency[kVerbs];
  Samples rpc_latency[kVerbs];
  long long done_on_return[kVerbs] = {};
};

void EmitFigures(absl::string_view prefix, int n, const LifecycleFigures& f,
                 const CpuSnapshot& cpu) {
  double all = 0;
  for (Verb verb : kLifecycle) {
    int v = Index(verb);
    std::string p = absl::StrCat(prefix, "_", VerbName(verb));
    Emit(p + "_total", f.total[v], "s");
    Emit(p + "_rate", n / f.total[v], "ops/s");
    EmitLatency(p + "_lat", f.latency[v]);
    EmitLatency(p + "_rpc_lat", f.rpc_latency[v]);
    EmitInt(p + "_done_on_return", f.done_on_return[v], "count");
    all += f.total[v];
  }
  Emit(absl::StrCat(prefix, "_lifecycle_total"), all, "s");
  Emit(absl::StrCat(prefix, "_lifecycle_rate"), 4.0 * n / all, "ops/s");
  Emit(absl::StrCat(prefix, "_cycles_per_second"), n / all, "cycles/s");
  EmitCpuPerOp(absl::StrCat(prefix, "_lifecycle"), cpu, 4LL * n);
}

// Counts the running domains named "<prefix>…" and fails unless there are
// `want`; prints `<metric>=count`.
absl::Status CheckRunning(BenchClient& client, const std::string& prefix, int want,
                          absl::string_view metric) {
  absl::StatusOr<int> running = CountRunning(client, prefix);
  if (!running.ok()) return running.status();
  EmitInt(metric, *running, "domains");
  if (*running != want) {
    return absl::InternalError(absl::StrCat("after the start phase ", *running, " domains named ",
                                            prefix, "* are RUNNING, expected ", want));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int> CountRunning(BenchClient& client, const std::string& prefix) {
  std::vector<std::string> names;
  absl::StatusOr<ListResult> listed = client.ListAll("power_state = RUNNING", 1000, &names);
  if (!listed.ok()) return listed.status();
  int count = 0;
  for (const std::string& name : names) {
    if (absl::StartsWith(name, prefix)) ++count;
  }
  return count;
}

absl::Status RunSeqLifecycle(const BenchTarget& target, BenchClient& client, int n) {
  std::vector<std::string> ids;
  ids.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) ids.push_back(absl::StrFormat("%s-s-%06d", target.tag, i));

  LifecycleFigures f;
  CpuSnapshot spent;  // daemon and client CPU over the four steps only
  for (Verb verb : kLifecycle) {
    int v = Index(verb);
    f.latency[v].reserve(ids.size());
    f.rpc_latency[v].reserve(ids.size());
    CpuSnapshot cpu0 = TakeCpu(target);
    Clock::time_point t0 = Clock::now();
    for (const std::string& id : ids) {
      OpTrace trace;
      Clock::time_point a = Clock::now();
      absl::Status s = client.RunOp(verb, id, &trace);
      f.latency[v].push_back(SecondsBetween(a, Clock::now()));
      if (!s.ok()) return s;
      f.rpc_latency[v].push_back(trace.rpc_seconds);
      if (trace.waits == 0) ++f.done_on_return[v];
    }
    f.total[v] = SecondsBetween(t0, Clock::now());
    CpuSnapshot cpu1 = TakeCpu(target);
    spent = v == 0 ? CpuSpent(cpu0, cpu1) : CpuSum(spent, CpuSpent(cpu0, cpu1));
    if (verb == Verb::kStart) {
      absl::Status s =
          CheckRunning(client, absl::StrCat(target.tag, "-s-"), n, "seq_running_after_start");
      if (!s.ok()) return s;
    }
  }
  EmitFigures("seq", n, f, spent);
  return absl::OkStatus();
}

absl::Status RunConcLifecycle(const BenchTarget& target, BenchClient& checker, int n, int threads) {
  absl::StatusOr<std::unique_ptr<ClientPool>> pool = ClientPool::Connect(target.socket, threads);
  if (!pool.ok()) return pool.status();

  // Main thread + workers meet at every barrier, as in the peer: once when
  // the connections are open, then before and after each step.
  std::barrier<> sync(threads + 1);
  std::atomic<bool> failed{false};
  std::mutex mu;
  absl::Status first_error;
  LifecycleFigures f;

  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      BenchClient& client = (*pool)->client(t);
      std::vector<std::string> mine;
      for (int i = t; i < n; i += threads) {
        mine.push_back(absl::StrFormat("%s-c%d-%06d", target.tag, t, i));
      }
      LifecycleFigures local;
      sync.arrive_and_wait();  // connections open
      for (Verb verb : kLifecycle) {
        int v = Index(verb);
        sync.arrive_and_wait();  // step starts
        for (const std::string& id : mine) {
          if (failed.load()) break;
          OpTrace trace;
          Clock::time_point a = Clock::now();
          absl::Status s = client.RunOp(verb, id, &trace);
          local.latency[v].push_back(SecondsBetween(a, Clock::now()));
          local.rpc_latency[v].push_back(trace.rpc_seconds);
          if (trace.waits == 0) ++local.done_on_return[v];
          if (!s.ok()) {
            std::lock_guard<std::mutex> lock(mu);
            if (first_error.ok()) first_error = s;
            failed.store(true);
            break;
          }
        }
        sync.arrive_and_wait();  // step ends
      }
      std::lock_guard<std::mutex> lock(mu);
      for (int v = 0; v < kVerbs; ++v) {
        f.latency[v].insert(f.latency[v].end(), local.latency[v].begin(), local.latency[v].end());
        f.rpc_latency[v].insert(f.rpc_latency[v].end(), local.rpc_latency[v].begin(),
                                local.rpc_latency[v].end());
        f.done_on_return[v] += local.done_on_return[v];
      }
    });
  }

  sync.arrive_and_wait();
  CpuSnapshot spent;
  absl::Status check;
  std::string prefix = absl::StrCat("conc", threads);
  for (Verb verb : kLifecycle) {
    int v = Index(verb);
    CpuSnapshot cpu0 = TakeCpu(target);
    sync.arrive_and_wait();
    Clock::time_point t0 = Clock::now();
    sync.arrive_and_wait();
    f.total[v] = SecondsBetween(t0, Clock::now());
    CpuSnapshot cpu1 = TakeCpu(target);
    spent = v == 0 ? CpuSpent(cpu0, cpu1) : CpuSum(spent, CpuSpent(cpu0, cpu1));
    // The workers wait at the next barrier while the running domains are
    // counted; a failure stops them at their next op, not at a barrier.
    if (verb == Verb::kStart && !failed.load()) {
      check = CheckRunning(checker, absl::StrCat(target.tag, "-c"), n,
                           absl::StrCat(prefix, "_running_after_start"));
      if (!check.ok()) failed.store(true);
    }
  }
  for (std::thread& w : workers) w.join();
  if (!first_error.ok()) return first_error;
  if (!check.ok()) return check;
  EmitFigures(prefix, n, f, spent);
  return absl::OkStatus();
}

}  // namespace xenia::bench

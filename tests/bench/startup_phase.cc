#include "tests/bench/startup_phase.h"

#include <cstdio>
#include <memory>
#include <set>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/bench/bench_client.h"
#include "tests/bench/client_pool.h"
#include "tests/bench/daemon_launcher.h"
#include "tests/bench/lifecycle_phase.h"
#include "tests/bench/proc_stats.h"
#include "tests/bench/stats.h"

namespace xenia::bench {
namespace {

// A start with 10,000 domains should take about a second; this only keeps a
// stuck daemon from holding up the benchmark for ever.
constexpr absl::Duration kReadyTimeout = absl::Seconds(120);
// The "xeniad ready" line is written just before READY=1 is sent, but it
// reaches us through a pipe and a reader thread.
constexpr absl::Duration kReadyLineTimeout = absl::Seconds(10);
constexpr char kReadyMsg[] = "msg=\"xeniad ready\"";

std::vector<std::string> WithLogLevel(const std::vector<std::string>& args,
                                      absl::string_view level) {
  std::vector<std::string> out = args;
  out.push_back("--log-level");
  out.push_back(std::string(level));
  return out;
}

double MiB(long long kib) { return static_cast<double>(kib) / 1024.0; }

// The daemon's "xeniad ready" line, once its reader has it; "" after
// kReadyLineTimeout.
std::string WaitForReadyLine(DaemonLauncher& daemon) {
  absl::Time give_up = absl::Now() + kReadyLineTimeout;
  while (true) {
    for (absl::string_view line : absl::StrSplit(daemon.Log(), '\n')) {
      if (absl::StrContains(line, kReadyMsg)) return std::string(line);
    }
    if (absl::Now() > give_up) return "";
    absl::SleepFor(absl::Milliseconds(5));
  }
}

// The value of logfmt field `key` on `line` (unquoted values only, as
// numbers are); "" if the line has no such field.
std::string LogfmtField(absl::string_view line, absl::string_view key) {
  for (absl::string_view word : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&word, absl::StrCat(key, "="))) return std::string(word);
  }
  return "";
}

// The last `lines` lines of `text`.
std::string Tail(const std::string& text, int lines) {
  std::vector<absl::string_view> all = absl::StrSplit(text, '\n', absl::SkipEmpty());
  size_t from = all.size() > static_cast<size_t>(lines) ? all.size() - lines : 0;
  return absl::StrJoin(all.begin() + static_cast<long>(from), all.end(), "\n");
}

// Counts, through a new connection, the listed domains in `ids` (each must be
// listed exactly once, and no other domain named like them) and those of them
// that are RUNNING; prints both and fails unless they are all of `ids` and
// `running`.
absl::Status CheckDomains(const std::string& socket, const std::string& id_prefix,
                          const std::vector<std::string>& ids, int running,
                          absl::string_view prefix) {
  BenchClient client(socket);
  if (absl::Status s = client.Connect(); !s.ok()) return s;
  std::vector<std::string> names;
  absl::StatusOr<ListResult> listed = client.ListAll("", 1000, &names);
  if (!listed.ok()) return listed.status();
  std::multiset<std::string> ours;
  for (const std::string& name : names) {
    if (absl::StartsWith(name, id_prefix)) ours.insert(name);
  }
  absl::StatusOr<int> running_now = CountRunning(client, id_prefix);
  if (!running_now.ok()) return running_now.status();
  EmitInt(absl::StrCat(prefix, "_defined"), static_cast<long long>(ours.size()), "domains");
  EmitInt(absl::StrCat(prefix, "_running"), *running_now, "domains");
  for (const std::string& id : ids) {
    if (ours.count(id) != 1) {
      return absl::InternalError(absl::StrCat("after the restart (", prefix,
                                              ") ListDomains lists domain ", id, " ",
                                              ours.count(id), " times, expected once"));
    }
  }
  if (ours.size() != ids.size()) {
    return absl::InternalError(absl::StrCat("after the restart (", prefix, ") ListDomains lists ",
                                            ours.size(), " domains named ", id_prefix,
                                            "*, expected ", ids.size()));
  }
  if (*running_now != running) {
    return absl::InternalError(absl::StrCat("after the restart (", prefix, ") ", *running_now,
                                            " domains named ", id_prefix,
                                            "* are RUNNING, expected ", running));
  }
  return absl::OkStatus();
}

// Prints the figures of the start the daemon has just made (memory first,
// before any call reaches it), then checks its domains.
absl::Status MeasureStart(DaemonLauncher& daemon, const StartupOptions& o,
                          const std::vector<std::string>& ids, absl::string_view prefix) {
  const double exec_to_ready = absl::ToDoubleSeconds(daemon.exec_to_ready());
  absl::StatusOr<ProcMemory> memory = ReadProcMemory(daemon.pid());
  if (!memory.ok()) {
    return absl::Status(memory.status().code(),
                        absl::StrCat("the restarted xeniad's memory: ", memory.status().message()));
  }
  std::string line = WaitForReadyLine(daemon);
  if (line.empty()) {
    return absl::InternalError(
        "the restarted xeniad sent READY=1 but wrote no \"xeniad ready\" line at --log-level info");
  }
  double recovery_ms = 0;
  if (!absl::SimpleAtod(LogfmtField(line, "recovery_ms"), &recovery_ms)) {
    return absl::InternalError(
        absl::StrCat("the \"xeniad ready\" line has no numeric recovery_ms field: ", line));
  }
  std::vector<std::string> counts;
  for (absl::string_view key : {"domains", "running", "lost", "unmanaged", "operations_settled"}) {
    counts.push_back(absl::StrCat(key, "=", LogfmtField(line, key)));
  }
  Meta(absl::StrCat(prefix, "_ready_line"), absl::StrJoin(counts, " "));

  absl::Status check =
      CheckDomains(daemon.socket(), absl::StrCat(o.tag, "-st-"), ids, o.running, prefix);
  Emit(absl::StrCat(prefix, "_exec_to_ready"), exec_to_ready, "s");
  Emit(absl::StrCat(prefix, "_recovery_ms"), recovery_ms, "ms");
  Emit(absl::StrCat(prefix, "_peak_rss"), MiB(memory->vm_hwm_kib), "MiB");
  Emit(absl::StrCat(prefix, "_rss"), MiB(memory->vm_rss_kib), "MiB");
  if (!check.ok()) return check;
  if (daemon.Exited()) {
    return absl::UnavailableError(absl::StrCat("the restarted xeniad (", prefix, ") exited"));
  }
  return absl::OkStatus();
}

// SIGTERM; fails unless the daemon exits 0.
absl::Status StopCleanly(DaemonLauncher& daemon) {
  absl::StatusOr<int> code = daemon.Stop();
  if (!code.ok()) return code.status();
  if (*code != 0) {
    return absl::InternalError(absl::StrCat("xeniad exited with code ", *code, " on SIGTERM"));
  }
  return absl::OkStatus();
}

absl::Status Run(DaemonLauncher& daemon, const StartupOptions& o) {
  std::vector<std::string> ids;
  ids.reserve(static_cast<size_t>(o.defined));
  for (int i = 0; i < o.defined; ++i) ids.push_back(absl::StrFormat("%s-st-%06d", o.tag, i));
  std::vector<std::string> to_start(ids.begin(), ids.begin() + o.running);

  {
    absl::StatusOr<std::unique_ptr<ClientPool>> pool =
        ClientPool::Connect(daemon.socket(), o.threads);
    if (!pool.ok()) return pool.status();
    Clock::time_point t0 = Clock::now();
    if (absl::Status s = (*pool)->RunSplit(Verb::kDefine, ids); !s.ok()) return s;
    double define_s = SecondsBetween(t0, Clock::now());
    Clock::time_point t1 = Clock::now();
    if (absl::Status s = (*pool)->RunSplit(Verb::kStart, to_start); !s.ok()) return s;
    double start_s = SecondsBetween(t1, Clock::now());
    Emit("startup_setup_define_total", define_s, "s");
    Emit("startup_setup_define_rate", o.defined / define_s, "ops/s");
    Emit("startup_setup_start_total", start_s, "s");
    Emit("startup_setup_start_rate", o.running / start_s, "ops/s");
  }
  absl::StatusOr<ProcMemory> memory = ReadProcMemory(daemon.pid());
  if (!memory.ok()) return memory.status();
  Emit("startup_setup_peak_rss", MiB(memory->vm_hwm_kib), "MiB");

  const std::vector<std::string> args = WithLogLevel(o.host_args, "info");
  // As a crash: the store has every op (each was DONE, hence durable), and
  // the simulated guests keep running in sim-host.state.
  if (absl::StatusOr<int> killed = daemon.Kill(); !killed.ok()) return killed.status();
  if (o.on_daemon) o.on_daemon(0, daemon.dir());
  if (absl::Status s = daemon.Restart(args, kReadyTimeout); !s.ok()) return s;
  if (o.on_daemon) o.on_daemon(daemon.pid(), daemon.dir());
  if (absl::Status s = MeasureStart(daemon, o, ids, "startup"); !s.ok()) return s;

  if (absl::Status s = StopCleanly(daemon); !s.ok()) return s;
  if (o.on_daemon) o.on_daemon(0, daemon.dir());
  if (absl::Status s = daemon.Restart(args, kReadyTimeout); !s.ok()) return s;
  if (o.on_daemon) o.on_daemon(daemon.pid(), daemon.dir());
  if (absl::Status s = MeasureStart(daemon, o, ids, "startup_clean"); !s.ok()) return s;
  return StopCleanly(daemon);
}

}  // namespace

absl::Status RunStartup(const StartupOptions& o) {
  if (o.running > o.defined) {
    return absl::InvalidArgumentError(
        absl::StrCat("the startup phase cannot run ", o.running, " of ", o.defined, " domains"));
  }
  std::vector<std::string> setup_args = WithLogLevel(o.host_args, "warning");
  Meta("startup_xeniad", absl::StrCat(o.xeniad, " ", absl::StrJoin(setup_args, " "),
                                      "; restarted with --log-level info"));
  absl::StatusOr<std::unique_ptr<DaemonLauncher>> started =
      DaemonLauncher::Start(o.xeniad, setup_args);
  if (!started.ok()) {
    return absl::Status(
        started.status().code(),
        absl::StrCat("startup phase: cannot start xeniad: ", started.status().message()));
  }
  std::unique_ptr<DaemonLauncher> daemon = *std::move(started);
  if (o.on_daemon) o.on_daemon(daemon->pid(), daemon->dir());
  absl::Status result = Run(*daemon, o);
  if (!result.ok()) {
    std::string log = daemon->Log();
    std::fprintf(stderr, "xenia_bench: the startup phase's xeniad wrote (last 40 lines):\n%s\n",
                 log.empty() ? "(nothing)" : Tail(log, 40).c_str());
  }
  daemon.reset();  // kills it if it still runs, and removes the directory
  if (o.on_daemon) o.on_daemon(0, "");
  return result;
}

}  // namespace xenia::bench

// xenia_bench: the control-plane benchmark of xeniad, through the real daemon
// over its unix socket, with the same phases as libvirt's peer script
// (libvirt_bench.py) so that the figures line up. See tests/bench/README.md.
#include <signal.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/bench/bench_client.h"
#include "tests/bench/bench_target.h"
#include "tests/bench/client_pool.h"
#include "tests/bench/daemon_launcher.h"
#include "tests/bench/event_latency.h"
#include "tests/bench/lifecycle_phase.h"
#include "tests/bench/proc_stats.h"
#include "tests/bench/read_latency.h"
#include "tests/bench/startup_phase.h"
#include "tests/bench/stats.h"

namespace xenia::bench {
namespace {

constexpr char kUsage[] = R"(xenia_bench: xeniad control-plane benchmark (see tests/bench/README.md)

Usage: xenia_bench [options]
  --n N               domains in the lifecycle phases (default 1000)
  --threads T         clients (threads, one channel each) in the concurrent
                      phase and the read setup (default 8)
  --read-sizes A,B    numbers of defined domains for the read phase
                      (default 1000,10000)
  --watchers A,B      numbers of concurrent event watchers for the events
                      phase (default 1,1000)
  --startup-defined N domains defined for the startup phase (default 10000)
  --startup-running M of them running when its daemon is restarted
                      (default 1000)
  --only LIST         comma list of seq,conc,reads,events,startup
                      (default: all)
  --xeniad PATH       the xeniad to start (default: the one next to this
                      program)
  --socket PATH       measure an already running xeniad instead of starting one
  --daemon-pid PID    with --socket: its PID, for CPU and memory figures
  --help

Output: `metric=value unit` lines; lines starting with # are metadata.
)";

struct Options {
  int n = 1000;
  int threads = 8;
  std::vector<int> read_sizes = {1000, 10000};
  std::vector<int> watchers = {1, 1000};
  int startup_defined = 10000;
  int startup_running = 1000;
  std::set<std::string> only = {"seq", "conc", "reads", "events", "startup"};
  std::string xeniad;
  std::string socket;
  pid_t daemon_pid = 0;
};

[[noreturn]] void UsageError(const std::string& message) {
  std::fprintf(stderr, "xenia_bench: %s\nRun with --help for the options.\n", message.c_str());
  std::exit(2);
}

int ParsePositive(const std::string& flag, const std::string& text) {
  int v = 0;
  if (!absl::SimpleAtoi(text, &v) || v < 1) {
    UsageError(absl::StrCat(flag, ": \"", text, "\" is not a positive number"));
  }
  return v;
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); absl::StartsWith(arg, "--") && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    auto next = [&]() -> std::string {
      if (has_value) return value;
      if (i + 1 >= argc) UsageError(absl::StrCat(arg, " needs a value"));
      return argv[++i];
    };
    if (arg == "--n") {
      o.n = ParsePositive(arg, next());
    } else if (arg == "--threads") {
      o.threads = ParsePositive(arg, next());
    } else if (arg == "--read-sizes") {
      o.read_sizes.clear();
      for (absl::string_view part : absl::StrSplit(next(), ',', absl::SkipEmpty())) {
        int size = ParsePositive(arg, std::string(part));
        if (!o.read_sizes.empty() && size <= o.read_sizes.back()) {
          UsageError("--read-sizes: sizes must ascend, e.g. 1000,10000");
        }
        o.read_sizes.push_back(size);
      }
      if (o.read_sizes.empty()) UsageError("--read-sizes: at least one size");
    } else if (arg == "--watchers") {
      o.watchers.clear();
      for (absl::string_view part : absl::StrSplit(next(), ',', absl::SkipEmpty())) {
        o.watchers.push_back(ParsePositive(arg, std::string(part)));
      }
      if (o.watchers.empty()) UsageError("--watchers: at least one number");
    } else if (arg == "--only") {
      o.only.clear();
      for (absl::string_view part : absl::StrSplit(next(), ',', absl::SkipEmpty())) {
        if (part != "seq" && part != "conc" && part != "reads" && part != "events" &&
            part != "startup") {
          UsageError(absl::StrCat("--only: unknown phase \"", part,
                                  "\" (seq, conc, reads, events, startup)"));
        }
        o.only.insert(std::string(part));
      }
      if (o.only.empty()) UsageError("--only: at least one phase");
    } else if (arg == "--startup-defined") {
      o.startup_defined = ParsePositive(arg, next());
    } else if (arg == "--startup-running") {
      o.startup_running = ParsePositive(arg, next());
    } else if (arg == "--xeniad") {
      o.xeniad = next();
    } else if (arg == "--socket") {
      o.socket = next();
    } else if (arg == "--daemon-pid") {
      o.daemon_pid = ParsePositive(arg, next());
    } else {
      UsageError(absl::StrCat("unknown option \"", argv[i], "\""));
    }
  }
  if (o.daemon_pid != 0 && o.socket.empty()) {
    UsageError("--daemon-pid goes with --socket (a daemon started here is known already)");
  }
  if (o.startup_running > o.startup_defined) {
    UsageError("--startup-running: more than --startup-defined");
  }
  return o;
}

// The xeniad in the same directory as this program.
std::string XeniadBesideUs() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "xeniad";
  return (self.parent_path() / "xeniad").string();
}

// Runs a shell command and returns its first line of output ("" on failure).
std::string FirstLineOf(const std::string& command) {
  std::FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return "";
  char buf[256];
  std::string out;
  if (std::fgets(buf, sizeof(buf), p) != nullptr) out = buf;
  int rc = pclose(p);
  if (rc != 0) return "";
  return std::string(absl::StripTrailingAsciiWhitespace(out));
}

// `git describe` of the source tree this program was built from, without
// touching the repository (no index refresh, no locks).
std::string GitDescribe() {
#ifdef XENIA_BENCH_SOURCE_DIR
  std::string git = absl::StrCat("git --no-optional-locks -C '", XENIA_BENCH_SOURCE_DIR, "' ");
  std::string described = FirstLineOf(absl::StrCat(git, "describe --always --tags 2>/dev/null"));
  if (described.empty()) return "unavailable";
  std::string clean =
      FirstLineOf(absl::StrCat(git, "diff-index --quiet HEAD -- >/dev/null 2>&1 && echo clean"));
  return clean == "clean" ? described : absl::StrCat(described, "-dirty");
#else
  return "unavailable";
#endif
}

std::string FileSystemType(const std::string& path) {
  struct statfs fs {};
  if (statfs(path.c_str(), &fs) != 0) return "unknown";
  switch (static_cast<unsigned long>(fs.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x01021994:
      return "tmpfs";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x794C7630:
      return "overlayfs";
    default:
      return absl::StrCat("0x", absl::Hex(static_cast<unsigned long>(fs.f_type)));
  }
}

std::string UtcNow() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// What the signal thread must clean up if the benchmark is interrupted: the
// daemon the phases measure, and the startup phase's own.
struct Interruptible {
  std::mutex mu;
  pid_t daemon_pid = 0;
  std::string dir;
  pid_t startup_pid = 0;
  std::string startup_dir;
};

// The simulated host of every daemon the benchmark starts, --log-level apart.
std::vector<std::string> SimHostArgs() {
  return {"--backend",       "sim", "--sim-memory",        "1T",
          "--sim-boot-time", "0s",  "--sim-shutdown-time", "0s"};
}

// The domains the daemon holds: their count, and how many are the bench's.
absl::Status CountDomains(BenchClient& client, const std::string& tag, int* all, int* ours) {
  std::vector<std::string> names;
  absl::StatusOr<ListResult> listed = client.ListAll("", 1000, &names);
  if (!listed.ok()) return listed.status();
  *all = listed->domains;
  *ours = 0;
  for (const std::string& name : names) {
    if (absl::StartsWith(name, tag + "-")) ++*ours;
  }
  return absl::OkStatus();
}

absl::Status RunBenchmark(const Options& o, const BenchTarget& target,
                          const StartupOptions& startup) {
  BenchClient client(target.socket);
  if (absl::Status s = client.Connect(); !s.ok()) return s;
  absl::StatusOr<xenia::v1::Host> host = client.GetHost();
  if (!host.ok()) return host.status();
  Meta("xeniad_version", host->xeniad_version());
  Meta("host_backend", absl::StrCat(host->backend(), " (", host->hypervisor_version(), ")"));
  Meta("host_cpus_memory", absl::StrCat(host->cpus(), " cpus, ", host->total_memory_mib(), " MiB, ",
                                        host->free_memory_mib(), " MiB free"));
  int pre = 0, pre_ours = 0;
  if (absl::Status s = CountDomains(client, target.tag, &pre, &pre_ours); !s.ok()) return s;
  Meta("preexisting_domains", absl::StrCat(pre));
  if (pre_ours != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("the daemon already holds ", pre_ours, " domains named ", target.tag, "-*"));
  }
  EmitMemory(target, "start");

  Clock::time_point t_all = Clock::now();
  CpuSnapshot cpu_all = TakeCpu(target);
  if (o.only.count("seq")) {
    if (absl::Status s = RunSeqLifecycle(target, client, o.n); !s.ok()) return s;
  }
  if (o.only.count("conc")) {
    if (absl::Status s = RunConcLifecycle(target, client, o.n, o.threads); !s.ok()) return s;
  }
  if (o.only.count("reads")) {
    absl::StatusOr<std::unique_ptr<ClientPool>> pool =
        ClientPool::Connect(target.socket, o.threads);
    if (!pool.ok()) return pool.status();
    ReadOptions read;
    read.sizes = o.read_sizes;
    read.preexisting = pre;
    if (absl::Status s = RunReads(target, client, **pool, read); !s.ok()) return s;
  }

  if (o.only.count("events")) {
    EventOptions events;
    events.watchers = o.watchers;
    if (absl::Status s = RunEventLatency(target, client, events); !s.ok()) return s;
  }

  if (o.only.count("startup")) {
    if (absl::Status s = RunStartup(startup); !s.ok()) return s;
  }

  int left = 0, left_ours = 0;
  if (absl::Status s = CountDomains(client, target.tag, &left, &left_ours); !s.ok()) return s;
  Meta("domains_left_at_end", absl::StrCat(left));
  if (left_ours != 0 || left != pre) {
    return absl::InternalError(absl::StrCat("at the end the daemon holds ", left, " domains (",
                                            left_ours, " of them the benchmark's); ", "expected ",
                                            pre));
  }
  absl::StatusOr<xenia::v1::Host> end_host = client.GetHost();
  if (!end_host.ok()) return end_host.status();
  Meta("host_counters_at_end", absl::StrCat("defined_domains=", end_host->defined_domains(),
                                            " running_domains=", end_host->running_domains()));
  // The listing includes the domains xeniad does not manage (dom0); the
  // host's count of defined domains does not.
  if (end_host->defined_domains() != host->defined_domains()) {
    return absl::InternalError(absl::StrCat("GetHost says ", end_host->defined_domains(),
                                            " domains are defined at the end, expected ",
                                            host->defined_domains()));
  }
  Emit("bench_wall", SecondsBetween(t_all, Clock::now()), "s");
  CpuSnapshot spent = CpuSpent(cpu_all, TakeCpu(target));
  if (spent.daemon) Emit("bench_daemon_cpu", *spent.daemon, "s");
  Emit("bench_client_cpu", spent.client, "s");
  return absl::OkStatus();
}

// The last `lines` lines of `text`.
std::string Tail(const std::string& text, int lines) {
  std::vector<absl::string_view> all = absl::StrSplit(text, '\n', absl::SkipEmpty());
  size_t from = all.size() > static_cast<size_t>(lines) ? all.size() - lines : 0;
  return absl::StrJoin(all.begin() + static_cast<long>(from), all.end(), "\n");
}

// Takes SIGINT, SIGTERM and SIGHUP (blocked in every other thread) on a thread
// of its own: kills the daemon, removes its directory and exits.
void WatchSignals(Interruptible* state) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread([state, signals] {
    int sig = 0;
    while (sigwait(&signals, &sig) != 0) {
    }
    std::fprintf(stderr, "xenia_bench: interrupted by signal %d; stopping\n", sig);
    std::lock_guard<std::mutex> lock(state->mu);
    for (pid_t pid : {state->daemon_pid, state->startup_pid}) {
      if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
    }
    for (const std::string& dir : {state->dir, state->startup_dir}) {
      if (!dir.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
      }
    }
    std::_Exit(128 + sig);
  }).detach();
}

int Main(int argc, char** argv) {
  Options o = ParseOptions(argc, argv);
  // Before any other thread exists, so that all of them inherit the mask.
  static Interruptible interruptible;
  WatchSignals(&interruptible);
  Meta("time_utc", UtcNow());
  char hostname[256] = {};
  gethostname(hostname, sizeof(hostname) - 1);
  Meta("host", hostname);
  Meta("loadavg_at_start", LoadAverage());
  Meta("nproc", absl::StrCat(sysconf(_SC_NPROCESSORS_ONLN)));
  Meta("git_describe", GitDescribe());
  std::vector<std::string> read_sizes;
  for (int s : o.read_sizes) read_sizes.push_back(absl::StrCat(s));
  Meta("params",
       absl::StrCat("n=", o.n, " threads=", o.threads, " read_sizes=",
                    absl::StrJoin(read_sizes, ","), " only=", absl::StrJoin(o.only, ","),
                    " startup_defined=", o.startup_defined, " startup_running=", o.startup_running,
                    " domain=64MiB,1vcpu,PVH get_calls=1000 list_calls=50 page_size=1000"));

  std::unique_ptr<DaemonLauncher> daemon;
  BenchTarget target;
  target.tag = absl::StrCat("b", getpid());
  const std::string path = o.xeniad.empty() ? XeniadBesideUs() : o.xeniad;
  if (o.socket.empty()) {
    std::vector<std::string> args = SimHostArgs();
    args.insert(args.end(), {"--log-level", "warning"});
    Meta("xeniad", absl::StrCat(path, " ", absl::StrJoin(args, " ")));
    absl::StatusOr<std::unique_ptr<DaemonLauncher>> started = DaemonLauncher::Start(path, args);
    if (!started.ok()) {
      std::fprintf(stderr, "xenia_bench: FAILED: cannot start xeniad: %s\n",
                   started.status().ToString().c_str());
      return 1;
    }
    daemon = *std::move(started);
    {
      std::lock_guard<std::mutex> lock(interruptible.mu);
      interruptible.daemon_pid = daemon->pid();
      interruptible.dir = daemon->dir();
    }
    target.socket = daemon->socket();
    target.daemon_pid = daemon->pid();
    Meta("state_dir_fstype", FileSystemType(daemon->dir()));
  } else {
    target.socket = o.socket;
    target.daemon_pid = o.daemon_pid;
    Meta("socket", o.socket);
  }
  Meta("daemon_pid", target.daemon_pid > 0 ? absl::StrCat(target.daemon_pid) : "unknown");

  StartupOptions startup;
  startup.xeniad = path;
  startup.host_args = SimHostArgs();
  startup.defined = o.startup_defined;
  startup.running = o.startup_running;
  startup.threads = o.threads;
  startup.tag = target.tag;
  startup.on_daemon = [state = &interruptible](pid_t pid, const std::string& dir) {
    std::lock_guard<std::mutex> lock(state->mu);
    state->startup_pid = pid;
    state->startup_dir = dir;
  };
  absl::Status result = RunBenchmark(o, target, startup);
  Meta("loadavg_at_end", LoadAverage());
  if (daemon != nullptr) {
    {
      // From here on this thread stops the daemon and removes the directory.
      std::lock_guard<std::mutex> lock(interruptible.mu);
      interruptible.daemon_pid = 0;
      interruptible.dir.clear();
    }
    bool died = daemon->Exited();
    absl::StatusOr<int> code = daemon->Stop();
    std::string log = daemon->Log();
    int lines = static_cast<int>(std::count(log.begin(), log.end(), '\n'));
    Meta("daemon_log_lines", absl::StrCat(lines));
    if (!code.ok()) {
      if (result.ok()) result = code.status();
    } else {
      Meta("daemon_exit_code", absl::StrCat(*code));
      if (died) {
        std::string why =
            absl::StrCat("xeniad exited during the benchmark (exit code ", *code,
                         *code > 128 ? absl::StrCat(", signal ", *code - 128) : "", ")");
        result = result.ok()
                     ? absl::UnavailableError(why)
                     : absl::Status(result.code(), absl::StrCat(result.message(), "; ", why));
      } else if (*code != 0 && result.ok()) {
        result = absl::InternalError(
            absl::StrCat("xeniad exited with code ", *code, " when asked to stop"));
      }
    }
    if (!result.ok() || lines > 0) {
      std::fprintf(stderr, "xenia_bench: xeniad wrote (last 40 lines):\n%s\n",
                   lines > 0 ? Tail(log, 40).c_str() : "(nothing)");
    }
  }
  if (!result.ok()) {
    std::fprintf(stderr, "xenia_bench: FAILED: %s\n", result.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace xenia::bench

int main(int argc, char** argv) { return xenia::bench::Main(argc, argv); }

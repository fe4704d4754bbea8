// BenchTarget: what every phase of xenia_bench needs to know about the daemon
// it measures (socket, PID if known, the prefix of its domain names), and the
// CPU and memory figures taken from /proc around each phase.
//
// Thread-safety: a BenchTarget is an immutable value once made; the Emit*
// functions print and belong to the main thread.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace xenia::bench {

struct BenchTarget {
  // xeniad's unix socket.
  std::string socket;
  // xeniad's PID; 0 when unknown (then no daemon CPU or memory figures).
  pid_t daemon_pid = 0;
  // Every domain the benchmark makes is named "<tag>-…" (tag = "b<our pid>"),
  // so that it never touches other domains of a shared daemon.
  std::string tag;
};

// CPU seconds used so far by the daemon (if its PID is known) and by this
// process.
struct CpuSnapshot {
  std::optional<double> daemon;
  double client = 0;
};

CpuSnapshot TakeCpu(const BenchTarget& target);

// `later - earlier`, field by field (daemon only if both have it).
CpuSnapshot CpuSpent(const CpuSnapshot& earlier, const CpuSnapshot& later);
// `a + b`, field by field.
CpuSnapshot CpuSum(const CpuSnapshot& a, const CpuSnapshot& b);

// Prints `<prefix>_daemon_cpu_per_op` (if known) and
// `<prefix>_client_cpu_per_op`, in µs, for `spent` over `ops` operations.
void EmitCpuPerOp(absl::string_view prefix, const CpuSnapshot& spent, long long ops);

// Prints daemon_vmrss_<label>, daemon_vmhwm_<label>, daemon_threads_<label>
// (if the PID is known), then client_vmrss_<label> and client_vmhwm_<label>.
void EmitMemory(const BenchTarget& target, absl::string_view label);

}  // namespace xenia::bench

#include "tests/bench/bench_target.h"

#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "tests/bench/proc_stats.h"
#include "tests/bench/stats.h"

namespace xenia::bench {

CpuSnapshot TakeCpu(const BenchTarget& target) {
  CpuSnapshot out;
  if (target.daemon_pid > 0) {
    absl::StatusOr<double> daemon = ReadProcCpuSeconds(target.daemon_pid);
    if (daemon.ok()) out.daemon = *daemon;
  }
  out.client = SelfCpuSeconds();
  return out;
}

CpuSnapshot CpuSpent(const CpuSnapshot& earlier, const CpuSnapshot& later) {
  CpuSnapshot out;
  if (earlier.daemon && later.daemon) out.daemon = *later.daemon - *earlier.daemon;
  out.client = later.client - earlier.client;
  return out;
}

CpuSnapshot CpuSum(const CpuSnapshot& a, const CpuSnapshot& b) {
  CpuSnapshot out;
  if (a.daemon && b.daemon) out.daemon = *a.daemon + *b.daemon;
  out.client = a.client + b.client;
  return out;
}

void EmitCpuPerOp(absl::string_view prefix, const CpuSnapshot& spent, long long ops) {
  if (ops <= 0) return;
  double n = static_cast<double>(ops);
  if (spent.daemon) Emit(absl::StrCat(prefix, "_daemon_cpu_per_op"), *spent.daemon / n * 1e6, "us");
  Emit(absl::StrCat(prefix, "_client_cpu_per_op"), spent.client / n * 1e6, "us");
}

void EmitMemory(const BenchTarget& target, absl::string_view label) {
  if (target.daemon_pid > 0) {
    absl::StatusOr<ProcMemory> daemon = ReadProcMemory(target.daemon_pid);
    if (daemon.ok()) {
      EmitInt(absl::StrCat("daemon_vmrss_", label), daemon->vm_rss_kib, "KiB");
      EmitInt(absl::StrCat("daemon_vmhwm_", label), daemon->vm_hwm_kib, "KiB");
      EmitInt(absl::StrCat("daemon_threads_", label), daemon->threads, "count");
    } else {
      Meta(absl::StrCat("daemon_memory_", label), daemon.status().ToString());
    }
  }
  absl::StatusOr<ProcMemory> self = ReadProcMemory(getpid());
  if (self.ok()) {
    EmitInt(absl::StrCat("client_vmrss_", label), self->vm_rss_kib, "KiB");
    EmitInt(absl::StrCat("client_vmhwm_", label), self->vm_hwm_kib, "KiB");
  }
}

}  // namespace xenia::bench

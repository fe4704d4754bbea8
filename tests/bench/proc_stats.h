// What the kernel says about a process: resident memory (VmRSS, VmHWM and the
// thread count from /proc/PID/status) and the CPU time it has used
// (utime + stime from /proc/PID/stat, which includes threads that have
// exited; resolution 1/CLK_TCK, usually 10 ms). Also the CPU time of this
// process and the load average.
//
// Thread-safety: pure functions over /proc; any thread may call them.
#pragma once

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"

namespace xenia::bench {

struct ProcMemory {
  long long vm_rss_kib = 0;
  long long vm_hwm_kib = 0;
  long long threads = 0;
};

// Reads /proc/PID/status. NOT_FOUND if the process is gone.
absl::StatusOr<ProcMemory> ReadProcMemory(pid_t pid);

// CPU time (user + system, all threads, living and exited) of process `pid`
// in seconds.
absl::StatusOr<double> ReadProcCpuSeconds(pid_t pid);

// CPU time (user + system, all threads) of this process, from getrusage.
double SelfCpuSeconds();

// The first line of /proc/loadavg, or "unknown".
std::string LoadAverage();

}  // namespace xenia::bench

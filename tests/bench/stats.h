// Latency statistics and the output format of xenia_bench: one
// `metric=value unit` line per figure and `# key: value` lines for metadata,
// as libvirt's peer script (libvirt_bench.py) prints them, so that the two
// outputs can be read side by side.
//
// Thread-safety: the functions are pure, except Emit and Meta, which write a
// whole line to stdout at a time; call them from the main thread only so that
// the lines come out in order.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace xenia::bench {

using Clock = std::chrono::steady_clock;

// Seconds between two steady_clock readings.
double SecondsBetween(Clock::time_point from, Clock::time_point to);

// Per-call latencies of one kind of call, in seconds.
using Samples = std::vector<double>;

// The median as Python's statistics.median computes it: the middle value, or
// the mean of the two middle values for an even count. 0 for no samples.
double Median(Samples samples);

// Nearest-rank percentile (p in 0..100), as the peer's pctl(): the value at
// rank ceil(p/100 * n) of the sorted samples. p99 of 50 samples is the
// maximum. 0 for no samples.
double Percentile(Samples samples, double p);

// Prints `metric=value unit`. Floats are printed as the peer prints them:
// "%.6g" below 1e-3, "%.4f" otherwise.
void Emit(absl::string_view metric, double value, absl::string_view unit);
void EmitInt(absl::string_view metric, long long value, absl::string_view unit);

// Prints `<prefix>_median=… us` and `<prefix>_p99=… us` for latencies given in
// seconds.
void EmitLatency(absl::string_view prefix, const Samples& seconds);

// Prints `# key: value`.
void Meta(absl::string_view key, absl::string_view value);

}  // namespace xenia::bench

#include "tests/bench/stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace xenia::bench {

double SecondsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

double Median(Samples samples) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  size_t n = samples.size();
  if (n % 2 == 1) return samples[n / 2];
  return (samples[n / 2 - 1] + samples[n / 2]) / 2;
}

double Percentile(Samples samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  long long n = static_cast<long long>(samples.size());
  // The same arithmetic as the peer: int(math.ceil(p / 100.0 * len(s))) - 1.
  long long k = static_cast<long long>(std::ceil(p / 100.0 * static_cast<double>(n))) - 1;
  k = std::max(0LL, std::min(n - 1, k));
  return samples[static_cast<size_t>(k)];
}

void Emit(absl::string_view metric, double value, absl::string_view unit) {
  std::string text = std::fabs(value) < 1e-3 && value != 0 ? absl::StrFormat("%.6g", value)
                                                           : absl::StrFormat("%.4f", value);
  std::printf("%s=%s %s\n", std::string(metric).c_str(), text.c_str(), std::string(unit).c_str());
  std::fflush(stdout);
}

void EmitInt(absl::string_view metric, long long value, absl::string_view unit) {
  std::printf("%s=%lld %s\n", std::string(metric).c_str(), value, std::string(unit).c_str());
  std::fflush(stdout);
}

void EmitLatency(absl::string_view prefix, const Samples& seconds) {
  Samples us;
  us.reserve(seconds.size());
  for (double s : seconds) us.push_back(s * 1e6);
  Emit(absl::StrCat(prefix, "_median"), Median(us), "us");
  Emit(absl::StrCat(prefix, "_p99"), Percentile(us, 99), "us");
}

void Meta(absl::string_view key, absl::string_view value) {
  std::printf("# %s: %s\n", std::string(key).c_str(), std::string(value).c_str());
  std::fflush(stdout);
}

}  // namespace xenia::bench

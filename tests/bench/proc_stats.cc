#include "tests/bench/proc_stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace xenia::bench {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "VmRSS:	   19048 kB" -> 19048.
bool ParseStatusValue(absl::string_view line, absl::string_view key, long long* out) {
  if (!absl::StartsWith(line, key) || line.size() <= key.size() || line[key.size()] != ':') {
    return false;
  }
  absl::string_view rest = absl::StripAsciiWhitespace(line.substr(key.size() + 1));
  std::vector<absl::string_view> words = absl::StrSplit(rest, ' ', absl::SkipEmpty());
  return !words.empty() && absl::SimpleAtoi(words[0], out);
}

}  // namespace

absl::StatusOr<ProcMemory> ReadProcMemory(pid_t pid) {
  absl::StatusOr<std::string> text = ReadFile(absl::StrCat("/proc/", pid, "/status"));
  if (!text.ok()) return text.status();
  ProcMemory out;
  int found = 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (ParseStatusValue(line, "VmRSS", &out.vm_rss_kib) ||
        ParseStatusValue(line, "VmHWM", &out.vm_hwm_kib) ||
        ParseStatusValue(line, "Threads", &out.threads)) {
      ++found;
    }
  }
  if (found != 3) {
    return absl::InternalError(
        absl::StrCat("/proc/", pid, "/status lacks VmRSS, VmHWM or Threads"));
  }
  return out;
}

absl::StatusOr<double> ReadProcCpuSeconds(pid_t pid) {
  std::string path = absl::StrCat("/proc/", pid, "/stat");
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  // The command name (field 2) may hold spaces and parentheses: fields are
  // counted from the last ')'. utime and stime are fields 14 and 15, i.e. the
  // 12th and 13th after it.
  size_t close = text->rfind(')');
  if (close == std::string::npos) return absl::InternalError(absl::StrCat(path, ": no ')'"));
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(*text).substr(close + 1), ' ', absl::SkipEmpty());
  long long utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return absl::InternalError(absl::StrCat(path, ": cannot read utime and stime"));
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string LoadAverage() {
  absl::StatusOr<std::string> text = ReadFile("/proc/loadavg");
  if (!text.ok()) return "unknown";
  return std::string(absl::StripAsciiWhitespace(*text));
}

}  // namespace xenia::bench

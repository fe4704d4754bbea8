// Logger: structured log lines (logfmt: time=… level=… msg="…" key=value) to a
// stream, stderr in the daemon. Passed by reference to whatever logs; there is
// no global logger.
//
// Thread-safe: lines from many threads never interleave.
#pragma once

#include <atomic>
#include <cstdio>
#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace xenia {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kOff = 4 };

// Parses "debug", "info", "warning" (or "warn"), "error", "off".
bool ParseLogLevel(absl::string_view text, LogLevel* level);
absl::string_view LogLevelName(LogLevel level);

// One key=value pair of a log line.
struct LogField {
  template <typename T>
  LogField(absl::string_view k, const T& v) : key(k), value(absl::StrCat(v)) {}
  LogField(absl::string_view k, const absl::Status& s) : key(k), value(s.ToString()) {}
  LogField(absl::string_view k, absl::Duration d) : key(k), value(absl::FormatDuration(d)) {}
  LogField(absl::string_view k, bool b) : key(k), value(b ? "true" : "false") {}
  absl::string_view key;
  std::string value;
};

class Logger {
 public:
  // `out` is borrowed and must outlive the logger; nullptr discards lines.
  explicit Logger(LogLevel min_level = LogLevel::kInfo, std::FILE* out = stderr);

  void SetLevel(LogLevel level) { min_level_.store(level); }
  bool Enabled(LogLevel level) const { return level >= min_level_.load() && out_ != nullptr; }

  void Log(LogLevel level, absl::string_view msg, std::initializer_list<LogField> fields = {});
  void Debug(absl::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kDebug, msg, fields);
  }
  void Info(absl::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kInfo, msg, fields);
  }
  void Warn(absl::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kWarning, msg, fields);
  }
  void Error(absl::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kError, msg, fields);
  }

 private:
  std::atomic<LogLevel> min_level_;
  std::FILE* const out_;
};

}  // namespace xenia

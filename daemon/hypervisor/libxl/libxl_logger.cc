#include "daemon/hypervisor/libxl/libxl_logger.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>
#include <type_traits>

namespace xenia::hv {
namespace {

// vsnprintf into a string of the right size.
std::string FormatV(const char* format, va_list args) __attribute__((format(printf, 1, 0)));
std::string FormatV(const char* format, va_list args) {
  va_list sizing;
  va_copy(sizing, args);
  const int needed = std::vsnprintf(nullptr, 0, format, sizing);
  va_end(sizing);
  if (needed < 0) return std::string(format);
  std::string out(static_cast<size_t>(needed) + 1, '\0');
  std::vsnprintf(out.data(), out.size(), format, args);
  out.resize(static_cast<size_t>(needed));
  return out;
}

}  // namespace

LibxlLogger::LibxlLogger(Logger& logger) : logger_(logger) {
  static_assert(std::is_standard_layout_v<Adapter>, "Adapter must start with the xtl logger");
  std::memset(&adapter_.base, 0, sizeof(adapter_.base));
  adapter_.base.vmessage = &LibxlLogger::VMessage;
  adapter_.base.progress = &LibxlLogger::Progress;
  adapter_.base.destroy = &LibxlLogger::Destroy;
  adapter_.self = this;
}

LogLevel LibxlLogger::LevelOf(xentoollog_level level) {
  switch (level) {
    case XTL_NONE:
    case XTL_DEBUG:
    case XTL_VERBOSE:
    case XTL_DETAIL:
    case XTL_PROGRESS:
      return LogLevel::kDebug;
    case XTL_INFO:
    case XTL_NOTICE:
      return LogLevel::kInfo;
    case XTL_WARN:
      return LogLevel::kWarning;
    case XTL_ERROR:
    case XTL_CRITICAL:
    case XTL_NUM_LEVELS:
      break;
  }
  return LogLevel::kError;
}

void LibxlLogger::VMessage(xentoollog_logger* logger, xentoollog_level level, int errnoval,
                           const char* context, const char* format, va_list args) {
  LibxlLogger* self = reinterpret_cast<Adapter*>(logger)->self;
  const LogLevel ours = LevelOf(level);
  if (!self->logger_.Enabled(ours)) return;  // libxl's debug output is copious
  const std::string message = FormatV(format, args);
  const char* from = context != nullptr ? context : "libxl";
  if (errnoval >= 0) {
    self->logger_.Log(ours, message,
                      {{"from", from}, {"errno", std::generic_category().message(errnoval)}});
  } else {
    self->logger_.Log(ours, message, {{"from", from}});
  }
}

void LibxlLogger::Progress(xentoollog_logger* logger, const char* context, const char* doing_what,
                           int percent, unsigned long done, unsigned long total) {
  LibxlLogger* self = reinterpret_cast<Adapter*>(logger)->self;
  if (!self->logger_.Enabled(LogLevel::kDebug)) return;
  self->logger_.Debug(doing_what != nullptr ? doing_what : "progress",
                      {{"from", context != nullptr ? context : "libxl"},
                       {"percent", percent},
                       {"done", done},
                       {"total", total}});
}

// The adapter is a member of LibxlLogger, which owns it: nothing to free.
void LibxlLogger::Destroy(xentoollog_logger*) {}

}  // namespace xenia::hv

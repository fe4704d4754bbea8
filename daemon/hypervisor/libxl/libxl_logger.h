// LibxlLogger: the xentoollog_logger that libxl (and libxenctrl under it)
// writes to, forwarding each line to the daemon's Logger at the matching
// level. libxl_ctx_alloc must never get a null logger (it crashes), so the
// context is always built with one of these.
//
// Levels: debug, verbose, detail and progress lines go to debug; info and
// notice to info; warn to warning; error and critical to error. Progress
// reports (save/restore/migrate) are logged at debug.
//
// Thread-safe: libxl may log from any thread; the Logger serializes lines.
// Must outlive every libxl context built with it.
#pragma once

#include "common/logger.h"
#include "daemon/hypervisor/libxl/libxl_api.h"

namespace xenia::hv {

class LibxlLogger {
 public:
  // `logger` is borrowed and must outlive this object.
  explicit LibxlLogger(Logger& logger);
  LibxlLogger(const LibxlLogger&) = delete;
  LibxlLogger& operator=(const LibxlLogger&) = delete;

  // What to hand to libxl_ctx_alloc.
  xentoollog_logger* get() { return &adapter_.base; }

  // The Logger level of a xentoollog level.
  static LogLevel LevelOf(xentoollog_level level);

 private:
  // xentoollog's convention: the logger struct first, our state after it,
  // so that the callbacks can find their way back from the pointer.
  struct Adapter {
    xentoollog_logger base;
    LibxlLogger* self;
  };

  static void VMessage(xentoollog_logger* logger, xentoollog_level level, int errnoval,
                       const char* context, const char* format, va_list args)
      __attribute__((format(printf, 5, 0)));
  static void Progress(xentoollog_logger* logger, const char* context, const char* doing_what,
                       int percent, unsigned long done, unsigned long total);
  static void Destroy(xentoollog_logger* logger);

  Adapter adapter_;
  Logger& logger_;
};

}  // namespace xenia::hv

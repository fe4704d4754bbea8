// LibxlLogger forwards libxl's lines to the daemon's Logger.
#include "daemon/hypervisor/libxl/libxl_logger.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace xenia::hv {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A Logger writing into memory.
class CapturedLog {
 public:
  explicit CapturedLog(LogLevel level) {
    file_ = open_memstream(&text_, &size_);
    logger_ = std::make_unique<Logger>(level, file_);
  }
  ~CapturedLog() {
    logger_.reset();
    std::fclose(file_);
    std::free(text_);
  }
  Logger& logger() { return *logger_; }
  std::string Text() {
    std::fflush(file_);
    return std::string(text_, size_);
  }

 private:
  char* text_ = nullptr;
  size_t size_ = 0;
  std::FILE* file_ = nullptr;
  std::unique_ptr<Logger> logger_;
};

TEST(LibxlLogger, ForwardsAtTheMatchingLevel) {
  CapturedLog log(LogLevel::kInfo);
  LibxlLogger xtl(log.logger());
  xtl_log(xtl.get(), XTL_ERROR, 2, "libxl", "libxl.c:102:libxl_ctx_alloc: cannot open %s",
          "libxc handle");
  xtl_log(xtl.get(), XTL_WARN, -1, "xc", "something odd");
  xtl_log(xtl.get(), XTL_DEBUG, -1, "libxl", "chatter %d", 42);
  const std::string text = log.Text();
  EXPECT_THAT(text, HasSubstr("level=error"));
  EXPECT_THAT(text, HasSubstr("libxl_ctx_alloc: cannot open libxc handle"));
  EXPECT_THAT(text, HasSubstr("from=libxl"));
  EXPECT_THAT(text, HasSubstr("No such file or directory"));
  EXPECT_THAT(text, HasSubstr("level=warning"));
  EXPECT_THAT(text, HasSubstr("from=xc"));
  EXPECT_THAT(text, Not(HasSubstr("chatter")));  // debug is below the Logger's level
}

TEST(LibxlLogger, ProgressGoesToDebug) {
  CapturedLog log(LogLevel::kDebug);
  LibxlLogger xtl(log.logger());
  xtl_progress(xtl.get(), "xc", "saving memory", 40, 100);
  xtl_log(xtl.get(), XTL_DETAIL, -1, nullptr, "detail %s", "line");
  const std::string text = log.Text();
  EXPECT_THAT(text, HasSubstr("level=debug"));
  EXPECT_THAT(text, HasSubstr("saving memory"));
  EXPECT_THAT(text, HasSubstr("percent=40"));
  EXPECT_THAT(text, HasSubstr("detail line"));
}

TEST(LibxlLogger, Levels) {
  EXPECT_EQ(LibxlLogger::LevelOf(XTL_DEBUG), LogLevel::kDebug);
  EXPECT_EQ(LibxlLogger::LevelOf(XTL_VERBOSE), LogLevel::kDebug);
  EXPECT_EQ(LibxlLogger::LevelOf(XTL_DETAIL), LogLevel::kDebug);
  EXPECT_EQ(LibxlLogger::LevelOf(XTL_PROGRESS), LogLevel::kDebug);
  EXPECT_EQ(LibxlLogger::LevelOf(XTL_INFO), LogLevel::kInfo);
  EXPECT_EQ(LibxlLogger::LevelOf(XTL_NOTICE), LogLevel::kInfo);
  EXPECT_EQ(LibxlLogger::LevelOf(XTL_WARN), LogLevel::kWarning);
  EXPECT_EQ(LibxlLogger::LevelOf(XTL_ERROR), LogLevel::kError);
  EXPECT_EQ(LibxlLogger::LevelOf(XTL_CRITICAL), LogLevel::kError);
}

}  // namespace
}  // namespace xenia::hv

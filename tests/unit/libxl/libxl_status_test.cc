// libxl's error codes as absl::Status values.
#include "daemon/hypervisor/libxl/libxl_status.h"

#include "daemon/hypervisor/libxl/libxl_api.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace xenia::hv {
namespace {

using ::testing::HasSubstr;

TEST(LibxlStatus, MapsCodes) {
  EXPECT_TRUE(LibxlStatus(0, "x").ok());
  EXPECT_EQ(LibxlStatus(ERROR_DOMAIN_NOTFOUND, "x").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(LibxlStatus(ERROR_DOMAIN_DESTROYED, "x").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(LibxlStatus(ERROR_INVAL, "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LibxlStatus(ERROR_NOMEM, "x").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(LibxlStatus(ERROR_NOPARAVIRT, "x").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(LibxlStatus(ERROR_ABORTED, "x").code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(LibxlStatus(ERROR_TIMEDOUT, "x").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(LibxlStatus(ERROR_LOCK_FAIL, "x").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(LibxlStatus(ERROR_FAIL, "x").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(LibxlStatus(ERROR_QEMU_API, "x").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(LibxlStatus(-999, "x").code(), absl::StatusCode::kInternal);
}

TEST(LibxlStatus, SaysWhatWasBeingDoneAndTheCode) {
  absl::Status s = LibxlStatus(ERROR_FAIL, "destroying domain 5 (\"web1\")");
  EXPECT_THAT(std::string(s.message()), HasSubstr("destroying domain 5 (\"web1\")"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("error -3 (fail)"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("daemon's log"));
  EXPECT_EQ(LibxlErrorName(ERROR_DOMAIN_NOTFOUND), "domain_notfound");
  EXPECT_EQ(LibxlErrorName(-999), "unknown");
}

}  // namespace
}  // namespace xenia::hv

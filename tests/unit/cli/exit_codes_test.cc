#include "cli/exit_codes.h"

#include "gtest/gtest.h"

namespace xenia::cli {
namespace {

TEST(ExitCodesTest, EveryGrpcCode) {
  using C = grpc::StatusCode;
  EXPECT_EQ(ExitCodeFor(C::OK), 0);
  EXPECT_EQ(ExitCodeFor(C::CANCELLED), 1);
  EXPECT_EQ(ExitCodeFor(C::UNKNOWN), 1);
  EXPECT_EQ(ExitCodeFor(C::INVALID_ARGUMENT), 2);
  EXPECT_EQ(ExitCodeFor(C::DEADLINE_EXCEEDED), 8);
  EXPECT_EQ(ExitCodeFor(C::NOT_FOUND), 3);
  EXPECT_EQ(ExitCodeFor(C::ALREADY_EXISTS), 4);
  EXPECT_EQ(ExitCodeFor(C::PERMISSION_DENIED), 7);
  EXPECT_EQ(ExitCodeFor(C::RESOURCE_EXHAUSTED), 6);
  EXPECT_EQ(ExitCodeFor(C::FAILED_PRECONDITION), 4);
  EXPECT_EQ(ExitCodeFor(C::ABORTED), 4);
  EXPECT_EQ(ExitCodeFor(C::OUT_OF_RANGE), 2);
  EXPECT_EQ(ExitCodeFor(C::UNIMPLEMENTED), 9);
  EXPECT_EQ(ExitCodeFor(C::INTERNAL), 1);
  EXPECT_EQ(ExitCodeFor(C::UNAVAILABLE), 5);
  EXPECT_EQ(ExitCodeFor(C::DATA_LOSS), 1);
  EXPECT_EQ(ExitCodeFor(C::UNAUTHENTICATED), 7);
}

TEST(ExitCodesTest, RpcCodeNumbersAndAbslCodesAgree) {
  for (int code = 0; code <= 16; ++code) {
    EXPECT_EQ(ExitCodeForRpcCode(code), ExitCodeFor(static_cast<grpc::StatusCode>(code))) << code;
    EXPECT_EQ(ExitCodeFor(static_cast<absl::StatusCode>(code)), ExitCodeForRpcCode(code)) << code;
  }
}

TEST(ExitCodesTest, UnknownNumbersAreInternal) {
  EXPECT_EQ(ExitCodeForRpcCode(-1), kExitInternal);
  EXPECT_EQ(ExitCodeForRpcCode(17), kExitInternal);
  EXPECT_EQ(ExitCodeForRpcCode(1000), kExitInternal);
}

TEST(ExitCodesTest, HelpListsEveryCode) {
  const std::string help = ExitCodeHelp();
  for (const char* line :
       {"  0    success", "  1    internal", "  2    bad request", "  3    not found",
        "  4    conflict", "  5    xeniad unavailable", "  6    not enough resources",
        "  7    not allowed", "  8    timed out", "  9    not implemented", "  130  interrupted"}) {
    EXPECT_NE(help.find(line), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace xenia::cli

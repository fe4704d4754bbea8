#include "cli/wait.h"

#include <sstream>

#include "cli/connection.h"
#include "gtest/gtest.h"
#include "tests/unit/cli/fake_xeniad.h"

namespace xenia::cli {
namespace {

using testing::MakeOperation;
using xenia::v1::Operation;

TEST(ProgressBarTest, Format) {
  EXPECT_EQ(FormatProgressBar(50, "shutting down: waiting for the guest", 10),
            "[#####-----]  50% shutting down: waiting for the guest");
  EXPECT_EQ(FormatProgressBar(0, "", 4), "[----]   0%");
  EXPECT_EQ(FormatProgressBar(100, "done", 4), "[####] 100% done");
  EXPECT_EQ(FormatProgressBar(250, "x", 4), "[####] 100% x");
  EXPECT_EQ(FormatProgressBar(-5, "x", 4), "[----]   0% x");
}

TEST(ProgressBarTest, TerminalBarIsCutToTheWidth) {
  std::ostringstream err;
  auto display = MakeProgressDisplay(err, /*is_tty=*/true, /*columns=*/30);
  display->Update(MakeOperation(Operation::RUNNING, 50, "a rather long progress message"));
  EXPECT_EQ(err.str(), "\r[##########----------]  50% a\x1b[K");
  display->Finish();
  EXPECT_EQ(err.str().substr(err.str().size() - 4), "\r\x1b[K");
}

TEST(ProgressBarTest, LinesOnlyWhenTheMessageChanges) {
  std::ostringstream err;
  auto display = MakeProgressDisplay(err, /*is_tty=*/false, 80);
  display->Update(MakeOperation(Operation::PENDING, 0));
  display->Update(MakeOperation(Operation::RUNNING, 10, "copying"));
  display->Update(MakeOperation(Operation::RUNNING, 20, "copying"));
  display->Update(MakeOperation(Operation::RUNNING, 90, "finishing"));
  display->Finish();
  EXPECT_EQ(err.str(), "[  0%] pending\n[ 10%] copying\n[ 90%] finishing\n");
}

TEST(OperationFinishedTest, ByFlagOrState) {
  EXPECT_FALSE(OperationFinished(MakeOperation(Operation::RUNNING, 1)));
  EXPECT_TRUE(OperationFinished(MakeOperation(Operation::DONE, 100)));
  Operation op = MakeOperation(Operation::FAILED, 1);
  op.set_done(false);
  EXPECT_TRUE(OperationFinished(op));
}

TEST(WaitForOperationTest, LoopsUntilDone) {
  testing::FakeXeniad fake;
  fake.With([](testing::FakeState& s) {
    s.steps = {MakeOperation(Operation::RUNNING, 10), MakeOperation(Operation::RUNNING, 20),
               MakeOperation(Operation::DONE, 100)};
  });
  Connection conn(fake.socket_path());
  WaitOptions options;
  options.min_interval = absl::ZeroDuration();
  Operation op = MakeOperation(Operation::RUNNING, 10);
  const grpc::Status status = WaitForOperation(conn.operations(), op.name(), options, nullptr, &op);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(op.state(), Operation::DONE);
  fake.With([](testing::FakeState& s) { EXPECT_EQ(s.calls.size(), 2u); });
}

TEST(WaitForOperationTest, ErrorsOtherThanUnavailableEndTheWait) {
  testing::FakeXeniad fake;
  fake.With([](testing::FakeState& s) {
    s.steps = {MakeOperation(Operation::RUNNING, 10)};
    s.fail_next = grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "viewer role required");
  });
  Connection conn(fake.socket_path());
  Operation op = MakeOperation(Operation::RUNNING, 10);
  const grpc::Status status = WaitForOperation(conn.operations(), op.name(), {}, nullptr, &op);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST(WaitForOperationTest, RidesOutABriefUnavailability) {
  testing::FakeXeniad fake;
  fake.With([](testing::FakeState& s) {
    s.steps = {MakeOperation(Operation::RUNNING, 10), MakeOperation(Operation::DONE, 100)};
    s.fail_next = grpc::Status(grpc::StatusCode::UNAVAILABLE, "restarting");
  });
  Connection conn(fake.socket_path());
  WaitOptions options;
  options.reconnect = absl::Milliseconds(500);
  Operation op = MakeOperation(Operation::RUNNING, 10);
  const grpc::Status status = WaitForOperation(conn.operations(), op.name(), options, nullptr, &op);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(op.state(), Operation::DONE);
}

}  // namespace
}  // namespace xenia::cli

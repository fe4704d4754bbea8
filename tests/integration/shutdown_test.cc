// Stopping xeniad: SIGTERM ends it cleanly even while clients stay connected
// or wait on an operation, and what was under way is settled at the next
// start.
#include <fstream>
#include <thread>

#include "daemon/proto_time.h"
#include "tests/integration/daemon_fixture.h"

namespace xenia::testing {
namespace {

using xenia::v1::Operation;

class ShutdownTest : public DaemonFixture {
 protected:
  void SetUp() override {
    // Calls in flight could hold the stop for an hour: the tests below only
    // finish if idle connections and waiting clients do not count as such.
    std::string config = dir_.path() + "/xeniad.yaml";
    std::ofstream(config) << "shutdown_grace: 1h\n";
    options_.args = {"--config", config};
    DaemonFixture::SetUp();
  }
};

TEST_F(ShutdownTest, IdleClientsDoNotHoldTheStopUp) {
  auto channel = grpc::CreateChannel("unix:" + socket(), grpc::InsecureChannelCredentials());
  auto hosts = xenia::v1::HostService::NewStub(channel);
  xenia::v1::Host host;
  ASSERT_TRUE(hosts->GetHost(Context().get(), xenia::v1::GetHostRequest(), &host).ok());
  // The connection stays open (this test's own channel) while xeniad stops.
  EXPECT_EQ(daemon_->Stop(), 0) << daemon_->log();
  EXPECT_NE(daemon_->log().find("xeniad stopped"), std::string::npos);
  daemon_.reset();
}

TEST_F(ShutdownTest, AClientWaitingOnAnOperationIsAnsweredAndTheStopCompletes) {
  CreateOrDie("stubborn");
  xenia::v1::GuestBehavior ignore;
  ignore.set_ignore_shutdown(true);
  ASSERT_TRUE(SetBehavior("stubborn", ignore).ok());
  Operation op;
  ASSERT_TRUE(Shutdown("stubborn", absl::Minutes(30), false, &op).ok());

  auto channel = grpc::CreateChannel("unix:" + socket(), grpc::InsecureChannelCredentials());
  auto operations = xenia::v1::OperationService::NewStub(channel);
  grpc::Status wait_status;
  Operation seen;
  std::thread waiter([&] {
    xenia::v1::WaitOperationRequest req;
    req.set_name(op.name());
    auto ctx = Context(absl::Hours(2));
    wait_status = operations->WaitOperation(ctx.get(), req, &seen);
  });
  // The operation is parked, waiting for the guest, before the stop begins.
  ASSERT_TRUE(WaitUntil([&] {
    Operation now;
    return GetOperation(op.name(), &now).ok() && now.state() == Operation::RUNNING;
  }));
  EXPECT_EQ(daemon_->Stop(), 0) << daemon_->log();
  waiter.join();
  // The waiting client got the operation as it was (still running), or the
  // call ended with the server; either way it was not left hanging.
  if (wait_status.ok()) {
    EXPECT_FALSE(seen.done()) << seen.DebugString();
  } else {
    EXPECT_TRUE(wait_status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                wait_status.error_code() == grpc::StatusCode::CANCELLED)
        << wait_status.error_message();
  }

  // At the next start the interrupted shutdown is settled with a reason and
  // the guest, which never shut down, is running. (This test's channel goes
  // first: gRPC would share its broken connection with the fixture's new
  // channel to the same socket.)
  operations.reset();
  channel.reset();
  StartDaemon();
  Operation settled;
  grpc::Status got = GetOperation(op.name(), &settled);
  ASSERT_TRUE(got.ok()) << got.error_message();
  EXPECT_TRUE(settled.done());
  EXPECT_EQ(settled.state(), Operation::FAILED) << settled.DebugString();
  EXPECT_NE(settled.error().message().find("xeniad stopped"), std::string::npos)
      << settled.error().message();
  EXPECT_EQ(GetOrDie("stubborn").status().power_state(), xenia::v1::RUNNING);
}

}  // namespace
}  // namespace xenia::testing

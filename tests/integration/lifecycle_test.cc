// The whole lifecycle of a domain through the real daemon over gRPC.
#include "tests/integration/daemon_fixture.h"

namespace xenia::testing {
namespace {

using xenia::v1::Operation;

class LifecycleTest : public DaemonFixture {};

TEST_F(LifecycleTest, DefineStartPauseUnpauseShutdownDelete) {
  xenia::v1::Domain defined = CreateOrDie("web1", 256, /*start=*/false);
  EXPECT_EQ(defined.name(), "hosts/testhost/domains/web1");
  EXPECT_EQ(defined.status().power_state(), xenia::v1::SHUTOFF);
  EXPECT_FALSE(defined.status().has_domid());
  EXPECT_EQ(defined.spec().uuid().size(), 36u);

  Operation op;
  ASSERT_TRUE(Start("web1", &op).ok());
  Operation started = WaitDone(op);
  ASSERT_EQ(started.state(), Operation::DONE) << started.DebugString();
  EXPECT_EQ(started.domain().status().power_state(), xenia::v1::RUNNING);
  ASSERT_TRUE(started.domain().status().has_domid());
  int32_t domid = started.domain().status().domid();
  EXPECT_GT(domid, 0);

  ASSERT_TRUE(Pause("web1", &op).ok());
  EXPECT_EQ(WaitDone(op).domain().status().power_state(), xenia::v1::PAUSED);
  ASSERT_TRUE(Unpause("web1", &op).ok());
  EXPECT_EQ(WaitDone(op).domain().status().power_state(), xenia::v1::RUNNING);

  ASSERT_TRUE(Shutdown("web1", absl::Seconds(10), false, &op).ok());
  Operation down = WaitDone(op);
  ASSERT_EQ(down.state(), Operation::DONE) << down.DebugString();
  EXPECT_EQ(down.domain().status().power_state(), xenia::v1::SHUTOFF);
  EXPECT_EQ(down.domain().status().last_shutdown_reason(), xenia::v1::DomainStatus::POWEROFF);

  ASSERT_TRUE(Delete("web1", &op).ok());
  EXPECT_EQ(WaitDone(op).state(), Operation::DONE);
  xenia::v1::Domain gone;
  EXPECT_EQ(Get("web1", &gone).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(LifecycleTest, RebootGivesANewDomid) {
  xenia::v1::Domain d = CreateOrDie("web2");
  int32_t domid = d.status().domid();
  Operation op;
  ASSERT_TRUE(Reboot("web2", absl::Seconds(10), false, &op).ok());
  Operation done = WaitDone(op);
  ASSERT_EQ(done.state(), Operation::DONE) << done.DebugString();
  EXPECT_EQ(done.domain().status().power_state(), xenia::v1::RUNNING);
  EXPECT_NE(done.domain().status().domid(), domid);
}

TEST_F(LifecycleTest, DestroyStopsAtOnce) {
  CreateOrDie("web3");
  Operation op;
  ASSERT_TRUE(Destroy("web3", &op).ok());
  Operation done = WaitDone(op);
  EXPECT_EQ(done.domain().status().power_state(), xenia::v1::SHUTOFF);
  EXPECT_EQ(done.domain().status().last_shutdown_reason(), xenia::v1::DomainStatus::DESTROYED);
}

}  // namespace
}  // namespace xenia::testing

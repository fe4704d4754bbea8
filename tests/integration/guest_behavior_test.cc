// Guests that misbehave on purpose (SimulatorService.SetGuestBehavior), and
// the daemon's answers: shutdown deadlines, force, and the on_crash /
// on_poweroff policies (destroy, restart, preserve).
#include <string>

#include "daemon/proto_time.h"
#include "tests/integration/daemon_fixture.h"

namespace xenia::testing {
namespace {

using grpc::StatusCode;
using xenia::v1::DomainStatus;
using xenia::v1::GuestBehavior;
using xenia::v1::Operation;

constexpr int kDeadlineExceeded = 4;
constexpr int kAborted = 10;

GuestBehavior IgnoreShutdown() {
  GuestBehavior b;
  b.set_ignore_shutdown(true);
  return b;
}

GuestBehavior CrashAfter(absl::Duration d) {
  GuestBehavior b;
  *b.mutable_crash_after() = ToProto(d);
  return b;
}

GuestBehavior PoweroffAfter(absl::Duration d) {
  GuestBehavior b;
  *b.mutable_poweroff_after() = ToProto(d);
  return b;
}

class GuestBehaviorTest : public DaemonFixture {
 protected:
  // Waits until the domain runs again under a domid other than `old_domid`
  // (a policy restarted it), with no operation holding it.
  bool WaitForNewDomid(const std::string& name, int32_t old_domid) {
    return WaitUntil([&] {
      xenia::v1::Domain d;
      return Get(name, &d).ok() && d.status().power_state() == xenia::v1::RUNNING &&
             d.status().has_domid() && d.status().domid() != old_domid &&
             d.status().current_operation().empty();
    });
  }
  // The internal operations xeniad ran on its own for `name`.
  std::vector<Operation> PolicyOperations(const std::string& name) {
    return ListAllOperations("target = \"hosts/-/domains/" + name +
                             "\" AND method = \"ReconcileDomain\"");
  }
};

TEST_F(GuestBehaviorTest, IgnoredShutdownFailsAtTheDeadlineAndTheGuestRunsOn) {
  xenia::v1::Domain d = CreateOrDie("deaf");
  xenia::v1::SetGuestBehaviorResponse resp;
  ASSERT_TRUE(SetBehavior("deaf", IgnoreShutdown(), &resp).ok());
  EXPECT_TRUE(resp.behavior().ignore_shutdown());
  Operation op;
  ASSERT_TRUE(Shutdown("deaf", absl::Milliseconds(300), /*force=*/false, &op).ok());
  Operation done = WaitDone(op);
  EXPECT_TRUE(EndedWith(done, Operation::FAILED, kDeadlineExceeded,
                        {"\"deaf\"", "did not shut down within 300ms", "force"}));
  xenia::v1::Domain after = GetOrDie("deaf");
  EXPECT_EQ(after.status().power_state(), xenia::v1::RUNNING);
  EXPECT_EQ(after.status().domid(), d.status().domid());
  EXPECT_TRUE(after.status().current_operation().empty());
}

TEST_F(GuestBehaviorTest, ForceDestroysAGuestThatIgnoresShutdown) {
  CreateOrDie("deaf");
  ASSERT_TRUE(SetBehavior("deaf", IgnoreShutdown()).ok());
  Operation op;
  ASSERT_TRUE(Shutdown("deaf", absl::Milliseconds(300), /*force=*/true, &op).ok());
  Operation done = WaitDone(op);
  ASSERT_TRUE(EndedWith(done, Operation::DONE));
  EXPECT_EQ(done.domain().status().power_state(), xenia::v1::SHUTOFF);
  EXPECT_EQ(done.domain().status().last_shutdown_reason(), DomainStatus::DESTROYED);
  EXPECT_FALSE(done.domain().status().has_domid());
  EXPECT_EQ(GetOrDie("deaf").status().power_state(), xenia::v1::SHUTOFF);
}

TEST_F(GuestBehaviorTest, ForcedRebootOfAGuestThatIgnoresItRecreatesIt) {
  xenia::v1::Domain d = CreateOrDie("deaf");
  ASSERT_TRUE(SetBehavior("deaf", IgnoreShutdown()).ok());
  Operation op;
  ASSERT_TRUE(Reboot("deaf", absl::Milliseconds(300), /*force=*/true, &op).ok());
  Operation done = WaitDone(op);
  ASSERT_TRUE(EndedWith(done, Operation::DONE));
  EXPECT_EQ(done.domain().status().power_state(), xenia::v1::RUNNING);
  EXPECT_NE(done.domain().status().domid(), d.status().domid());
}

TEST_F(GuestBehaviorTest, CrashWithDefaultPolicyDestroysTheDomain) {
  CreateOrDie("crashy");
  ASSERT_TRUE(SetBehavior("crashy", CrashAfter(absl::Milliseconds(100))).ok());
  ASSERT_TRUE(WaitForState("crashy", xenia::v1::SHUTOFF));
  xenia::v1::Domain d = GetOrDie("crashy");
  EXPECT_EQ(d.status().last_shutdown_reason(), DomainStatus::CRASH);
  EXPECT_FALSE(d.status().has_domid());
  EXPECT_EQ(d.spec().on_crash(), xenia::v1::DESTROY);
  std::vector<Operation> policy = PolicyOperations("crashy");
  ASSERT_FALSE(policy.empty());
  EXPECT_EQ(policy[0].principal(), "xeniad");
  // The definition is kept: it starts again.
  Operation op;
  ASSERT_TRUE(Start("crashy", &op).ok());
  EXPECT_TRUE(EndedWith(WaitDone(op), Operation::DONE));
}

TEST_F(GuestBehaviorTest, CrashWithRestartPolicyComesBackWithANewDomid) {
  xenia::v1::DomainSpec spec = Spec("phoenix");
  spec.set_on_crash(xenia::v1::RESTART);
  xenia::v1::Domain d = CreateSpecOrDie(spec);
  ASSERT_TRUE(SetBehavior("phoenix", CrashAfter(absl::Milliseconds(100))).ok());
  ASSERT_TRUE(WaitForNewDomid("phoenix", d.status().domid()));
  xenia::v1::Domain after = GetOrDie("phoenix");
  EXPECT_EQ(after.status().last_shutdown_reason(), DomainStatus::CRASH);
  EXPECT_EQ(after.spec().uuid(), d.spec().uuid());
  // The new guest does not inherit the crash: it keeps running.
  xenia::v1::GuestBehavior none;
  xenia::v1::SetGuestBehaviorResponse resp;
  ASSERT_TRUE(SetBehavior("phoenix", none, &resp).ok());
  EXPECT_FALSE(resp.behavior().has_crash_after()) << resp.DebugString();
}

TEST_F(GuestBehaviorTest, CrashWithPreservePolicyKeepsItUntilDestroyed) {
  xenia::v1::DomainSpec spec = Spec("relic");
  spec.set_on_crash(xenia::v1::PRESERVE);
  xenia::v1::Domain d = CreateSpecOrDie(spec);
  ASSERT_TRUE(SetBehavior("relic", CrashAfter(absl::Milliseconds(100))).ok());
  ASSERT_TRUE(WaitForState("relic", xenia::v1::CRASHED));
  xenia::v1::Domain crashed = GetOrDie("relic");
  EXPECT_EQ(crashed.status().domid(), d.status().domid());
  EXPECT_EQ(crashed.status().last_shutdown_reason(), DomainStatus::CRASH);
  EXPECT_NE(crashed.status().message().find("preserve"), std::string::npos)
      << crashed.status().message();
  Operation op;
  ASSERT_TRUE(Destroy("relic", &op).ok());
  Operation done = WaitDone(op);
  ASSERT_TRUE(EndedWith(done, Operation::DONE));
  EXPECT_EQ(done.domain().status().power_state(), xenia::v1::SHUTOFF);
  EXPECT_FALSE(done.domain().status().has_domid());
}

TEST_F(GuestBehaviorTest, PoweroffWithDefaultPolicyLeavesItShutOff) {
  CreateOrDie("quitter");
  ASSERT_TRUE(SetBehavior("quitter", PoweroffAfter(absl::Milliseconds(100))).ok());
  ASSERT_TRUE(WaitForState("quitter", xenia::v1::SHUTOFF));
  xenia::v1::Domain d = GetOrDie("quitter");
  EXPECT_EQ(d.status().last_shutdown_reason(), DomainStatus::POWEROFF);
  EXPECT_FALSE(d.status().has_domid());
}

TEST_F(GuestBehaviorTest, PoweroffWithRestartPolicyComesBack) {
  xenia::v1::DomainSpec spec = Spec("boomerang");
  spec.set_on_poweroff(xenia::v1::RESTART);
  xenia::v1::Domain d = CreateSpecOrDie(spec);
  ASSERT_TRUE(SetBehavior("boomerang", PoweroffAfter(absl::Milliseconds(100))).ok());
  ASSERT_TRUE(WaitForNewDomid("boomerang", d.status().domid()));
  EXPECT_EQ(GetOrDie("boomerang").status().last_shutdown_reason(), DomainStatus::POWEROFF);
}

// A user's shutdown is not a guest powering off on its own: on_poweroff does
// not restart a domain the user shut down.
TEST_F(GuestBehaviorTest, UserShutdownIsNotUndoneByTheRestartPolicy) {
  xenia::v1::DomainSpec spec = Spec("obedient");
  spec.set_on_poweroff(xenia::v1::RESTART);
  CreateSpecOrDie(spec);
  Operation op;
  ASSERT_TRUE(Shutdown("obedient", absl::Seconds(10), false, &op).ok());
  Operation done = WaitDone(op);
  ASSERT_TRUE(EndedWith(done, Operation::DONE));
  EXPECT_EQ(done.domain().status().power_state(), xenia::v1::SHUTOFF);
  EXPECT_EQ(done.domain().status().last_shutdown_reason(), DomainStatus::POWEROFF);
  // Operations on a domain run in order: a policy queued by the guest's
  // power-off would run before this delete and make it fail.
  ASSERT_TRUE(Delete("obedient", &op).ok());
  EXPECT_TRUE(EndedWith(WaitDone(op), Operation::DONE));
}

TEST_F(GuestBehaviorTest, CrashDuringAShutdownFailsItAndTheCrashPolicyApplies) {
  xenia::v1::DomainSpec spec = Spec("fragile");
  spec.set_on_crash(xenia::v1::PRESERVE);
  CreateSpecOrDie(spec);
  ASSERT_TRUE(SetBehavior("fragile", IgnoreShutdown()).ok());
  Operation op;
  ASSERT_TRUE(Shutdown("fragile", absl::Seconds(600), false, &op).ok());
  ASSERT_TRUE(WaitJournalled(op, Operation::RUNNING));
  ASSERT_TRUE(SetBehavior("fragile", CrashAfter(absl::Milliseconds(50))).ok());
  EXPECT_TRUE(EndedWith(WaitDone(op), Operation::FAILED, kAborted,
                        {"\"fragile\"", "crashed while shutting down", "on_crash"}));
  EXPECT_TRUE(WaitForState("fragile", xenia::v1::CRASHED));
}

TEST_F(GuestBehaviorTest, BadBehaviorRequests) {
  CreateOrDie("off", 256, false);
  EXPECT_TRUE(IsError(SetBehavior("off", IgnoreShutdown()), StatusCode::FAILED_PRECONDITION,
                      {"\"off\"", "not running"}));
  CreateOrDie("on");
  EXPECT_TRUE(IsError(SetBehavior("on", CrashAfter(absl::Seconds(-1))),
                      StatusCode::INVALID_ARGUMENT, {"behavior.crash_after", "negative"}));
  EXPECT_TRUE(IsError(SetBehavior("on", PoweroffAfter(absl::Seconds(-1))),
                      StatusCode::INVALID_ARGUMENT, {"behavior.poweroff_after"}));
  xenia::v1::SetGuestBehaviorRequest req;
  req.set_name("on");
  xenia::v1::SetGuestBehaviorResponse resp;
  EXPECT_TRUE(IsError(daemon_->simulator().SetGuestBehavior(Context().get(), req, &resp),
                      StatusCode::INVALID_ARGUMENT, {"name"}));
  EXPECT_EQ(GetOrDie("on").status().power_state(), xenia::v1::RUNNING);
}

}  // namespace
}  // namespace xenia::testing

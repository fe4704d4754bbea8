// The store is xeniad's memory across restarts, and guests outlive the daemon:
// definitions and states survive SIGTERM, running and paused guests survive
// SIGKILL with their domids, and one state directory (and one socket) serves
// one daemon at a time.
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/proto_time.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/integration/daemon_fixture.h"

namespace xenia::testing {
namespace {

using google::protobuf::util::MessageDifferencer;
using xenia::v1::Operation;

class PersistenceTest : public DaemonFixture {
 protected:
  void SetUp() override {
    // Live facts (vCPU time) refreshed often, so a test can see them move.
    std::string config = dir_.path() + "/xeniad.yaml";
    std::ofstream(config) << "status_refresh_interval: 100ms\n";
    options_.args = {"--config", config};
    DaemonFixture::SetUp();
  }

  absl::Duration CpuTime(const std::string& name) {
    return FromProto(GetOrDie(name).status().cpu_time());
  }
};

TEST_F(PersistenceTest, DefinitionsAndStatesSurviveARestart) {
  xenia::v1::DomainSpec spec = Spec("def1", 384);
  spec.set_vcpus(2);
  spec.set_max_memory_mib(512);
  spec.set_on_crash(xenia::v1::PRESERVE);
  (*spec.mutable_labels())["tier"] = "web";
  xenia::v1::Domain def1 = CreateSpecOrDie(spec, /*start=*/false);
  xenia::v1::Domain run1 = CreateOrDie("run1");
  xenia::v1::Domain pau1 = CreateOrDie("pau1");
  Operation pause;
  ASSERT_TRUE(Pause("pau1", &pause).ok());
  ASSERT_TRUE(EndedWith(WaitDone(pause), Operation::DONE));

  RestartDaemon();
  EXPECT_EQ(LogField(daemon_->log(), "xeniad ready", "domains"), "3");
  EXPECT_EQ(LogField(daemon_->log(), "xeniad ready", "running"), "2");

  xenia::v1::Domain d = GetOrDie("def1");
  EXPECT_TRUE(MessageDifferencer::Equals(d.spec(), def1.spec()))
      << d.spec().DebugString() << " vs " << def1.spec().DebugString();
  EXPECT_EQ(d.status().power_state(), xenia::v1::SHUTOFF);
  EXPECT_TRUE(MessageDifferencer::Equals(d.create_time(), def1.create_time()))
      << d.create_time().ShortDebugString() << " vs " << def1.create_time().ShortDebugString();
  xenia::v1::Domain r = GetOrDie("run1");
  EXPECT_EQ(r.status().power_state(), xenia::v1::RUNNING);
  EXPECT_EQ(r.status().domid(), run1.status().domid());
  EXPECT_EQ(r.spec().uuid(), run1.spec().uuid());
  xenia::v1::Domain p = GetOrDie("pau1");
  EXPECT_EQ(p.status().power_state(), xenia::v1::PAUSED);
  EXPECT_EQ(p.status().domid(), pau1.status().domid());

  // The operations too: the pause is still there to read, as it ended.
  Operation again;
  ASSERT_TRUE(GetOperation(pause.name(), &again).ok());
  EXPECT_TRUE(EndedWith(again, Operation::DONE));
  EXPECT_EQ(again.method(), "PauseDomain");

  // And the restarted daemon drives them as before.
  Operation op;
  ASSERT_TRUE(Unpause("pau1", &op).ok());
  EXPECT_EQ(WaitDone(op).domain().status().power_state(), xenia::v1::RUNNING);
  ASSERT_TRUE(Start("def1", &op).ok());
  EXPECT_EQ(WaitDone(op).domain().status().power_state(), xenia::v1::RUNNING);
}

TEST_F(PersistenceTest, RunningGuestsSurviveKill9WithTheirDomids) {
  std::vector<xenia::v1::Domain> before;
  for (const char* name : {"k1", "k2", "k3"}) before.push_back(CreateOrDie(name));
  // Wait until each guest has visibly used CPU, so "not less" means something.
  for (const xenia::v1::Domain& d : before) {
    std::string name = d.spec().name();
    ASSERT_TRUE(WaitUntil([&] { return CpuTime(name) > absl::ZeroDuration(); })) << name;
  }
  std::vector<absl::Duration> cpu;
  for (const xenia::v1::Domain& d : before) cpu.push_back(CpuTime(d.spec().name()));

  KillAndRestartDaemon();
  EXPECT_EQ(LogField(daemon_->log(), "xeniad ready", "running"), "3");
  EXPECT_EQ(LogField(daemon_->log(), "xeniad ready", "lost"), "0");
  for (size_t i = 0; i < before.size(); ++i) {
    const std::string& name = before[i].spec().name();
    xenia::v1::Domain after = GetOrDie(name);
    EXPECT_EQ(after.status().power_state(), xenia::v1::RUNNING) << name;
    EXPECT_EQ(after.status().domid(), before[i].status().domid()) << name;
    absl::Duration now = FromProto(after.status().cpu_time());
    EXPECT_GE(now, cpu[i]) << name;
    // Still running in the hypervisor: its vCPU time keeps growing.
    EXPECT_TRUE(WaitUntil([&] { return CpuTime(name) > now; })) << name;
  }
}

TEST_F(PersistenceTest, PausedGuestStaysPausedAcrossKill9) {
  xenia::v1::Domain d = CreateOrDie("frozen");
  Operation op;
  ASSERT_TRUE(Pause("frozen", &op).ok());
  Operation paused = WaitDone(op);
  ASSERT_TRUE(EndedWith(paused, Operation::DONE));
  absl::Duration cpu_at_pause = FromProto(paused.domain().status().cpu_time());

  KillAndRestartDaemon();
  xenia::v1::Domain after = GetOrDie("frozen");
  EXPECT_EQ(after.status().power_state(), xenia::v1::PAUSED);
  EXPECT_EQ(after.status().domid(), d.status().domid());
  // A paused guest uses no CPU, however long the daemon was away.
  EXPECT_EQ(FromProto(after.status().cpu_time()), cpu_at_pause);
  ASSERT_TRUE(Unpause("frozen", &op).ok());
  EXPECT_EQ(WaitDone(op).domain().status().power_state(), xenia::v1::RUNNING);
}

TEST_F(PersistenceTest, SecondDaemonOnTheSameStateDirRefusesToStart) {
  xenia::v1::Domain d = CreateOrDie("keep");
  int64_t domains = CountRows("domains");
  int64_t operations = CountRows("operations");

  DaemonOptions second = options_;
  second.socket = dir_.path() + "/second.sock";
  std::string log;
  int code = DaemonProcess::RunExpectingFailure(second, &log);
  EXPECT_NE(code, 0) << log;
  EXPECT_NE(log.find("another xeniad"), std::string::npos) << log;
  EXPECT_NE(log.find(absl::StrCat("pid ", daemon_->pid())), std::string::npos) << log;
  EXPECT_NE(log.find(state_dir()), std::string::npos) << log;
  EXPECT_FALSE(std::filesystem::exists(second.socket)) << "the refused daemon bound its socket";

  // The first daemon still serves, and its store is as it was.
  xenia::v1::Domain still = GetOrDie("keep");
  EXPECT_EQ(still.status().power_state(), xenia::v1::RUNNING);
  EXPECT_EQ(still.status().domid(), d.status().domid());
  EXPECT_EQ(CountRows("domains"), domains);
  EXPECT_EQ(CountRows("operations"), operations);
  CreateOrDie("more");
  EXPECT_EQ(CountRows("domains"), domains + 1);
}

TEST_F(PersistenceTest, SecondDaemonOnTheSameSocketRefusesToStart) {
  CreateOrDie("keep", 256, false);
  DaemonOptions second = options_;
  second.state_dir = dir_.path() + "/other-state";
  std::string log;
  int code = DaemonProcess::RunExpectingFailure(second, &log);
  EXPECT_NE(code, 0) << log;
  EXPECT_NE(log.find("another process is listening on " + socket()), std::string::npos) << log;
  // The first daemon's socket is still its own.
  EXPECT_EQ(GetOrDie("keep").status().power_state(), xenia::v1::SHUTOFF);
  CreateOrDie("more", 256, false);
  EXPECT_EQ(ListAllDomains().size(), 2u);
}

TEST_F(PersistenceTest, DeletedDomainStaysDeletedAfterKill9) {
  CreateOrDie("tmp", 256, false);
  CreateOrDie("stay", 256, false);
  Operation op;
  ASSERT_TRUE(Delete("tmp", &op).ok());
  ASSERT_TRUE(EndedWith(WaitDone(op), Operation::DONE));
  KillAndRestartDaemon();
  xenia::v1::Domain gone;
  EXPECT_EQ(Get("tmp", &gone).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetOrDie("stay").status().power_state(), xenia::v1::SHUTOFF);
  EXPECT_EQ(CountRows("domains"), 1);
}

}  // namespace
}  // namespace xenia::testing

// xeniad killed with SIGKILL at awkward moments: at restart every journalled
// operation is settled (DONE if its goal was reached, FAILED with a reason
// otherwise), every domain's state matches the hypervisor's, and guests that
// vanished while xeniad was away are reported LOST rather than forgotten.
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/integration/daemon_fixture.h"

namespace xenia::testing {
namespace {

using xenia::v1::Operation;

constexpr int kAborted = 10;
constexpr int64_t kHostMib = 16384;  // the simulator's default host
constexpr int64_t kDom0Mib = 1024;

class CrashRecoveryTest : public DaemonFixture {
 protected:
  xenia::v1::Host Host() {
    xenia::v1::GetHostRequest req;
    xenia::v1::Host host;
    grpc::Status s = daemon_->hosts().GetHost(Context().get(), req, &host);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return host;
  }

  // Checks that the store's picture agrees with the hypervisor's: each
  // domain is RUNNING with a distinct domid or SHUTOFF without one, and the
  // memory the hypervisor reports in use is exactly what the running ones
  // hold. Returns the names of the running ones.
  std::set<std::string> ExpectConsistent(int64_t mib_each) {
    std::set<std::string> running;
    std::set<int32_t> domids;
    for (const xenia::v1::Domain& d : ListAllDomains()) {
      const std::string& name = d.spec().name();
      if (d.status().power_state() == xenia::v1::RUNNING) {
        EXPECT_TRUE(d.status().has_domid()) << name;
        EXPECT_TRUE(domids.insert(d.status().domid()).second) << "domid reused: " << name;
        running.insert(name);
      } else {
        EXPECT_EQ(d.status().power_state(), xenia::v1::SHUTOFF) << d.DebugString();
        EXPECT_FALSE(d.status().has_domid()) << name;
      }
    }
    xenia::v1::Host host = Host();
    EXPECT_EQ(host.free_memory_mib(),
              kHostMib - kDom0Mib - mib_each * static_cast<int64_t>(running.size()));
    EXPECT_EQ(host.running_domains(), static_cast<int32_t>(running.size()));
    return running;
  }

  void ExpectNothingUnderWay() {
    EXPECT_TRUE(ListAllOperations("state = PENDING").empty());
    EXPECT_TRUE(ListAllOperations("state = RUNNING").empty());
    EXPECT_EQ(QueryInt("SELECT count(*) FROM operations WHERE state IN (1, 2)"), 0);
  }
};

TEST_F(CrashRecoveryTest, KillDuringAParkedShutdownSettlesItAtRestart) {
  xenia::v1::Domain d = CreateOrDie("stubborn");
  xenia::v1::GuestBehavior ignore;
  ignore.set_ignore_shutdown(true);
  ASSERT_TRUE(SetBehavior("stubborn", ignore).ok());
  Operation shutdown;
  ASSERT_TRUE(Shutdown("stubborn", absl::Minutes(10), false, &shutdown).ok());
  ASSERT_TRUE(WaitJournalled(shutdown, Operation::RUNNING));

  KillAndRestartDaemon();
  EXPECT_EQ(LogField(daemon_->log(), "xeniad ready", "operations_settled"), "1");
  Operation settled;
  ASSERT_TRUE(GetOperation(shutdown.name(), &settled).ok());
  EXPECT_TRUE(
      EndedWith(settled, Operation::FAILED, kAborted, {"xeniad stopped", "restart", "running"}));
  EXPECT_TRUE(settled.has_end_time());
  xenia::v1::Domain after = GetOrDie("stubborn");
  EXPECT_EQ(after.status().power_state(), xenia::v1::RUNNING);
  EXPECT_EQ(after.status().domid(), d.status().domid());
  EXPECT_TRUE(after.status().current_operation().empty());
  ExpectNothingUnderWay();

  // The restarted daemon can take it from here.
  Operation forced;
  ASSERT_TRUE(Shutdown("stubborn", absl::Milliseconds(200), true, &forced).ok());
  Operation done = WaitDone(forced);
  EXPECT_TRUE(EndedWith(done, Operation::DONE));
  EXPECT_EQ(done.domain().status().power_state(), xenia::v1::SHUTOFF);
}

TEST_F(CrashRecoveryTest, KillRightAfterManyConcurrentStarts) {
  constexpr int kDomains = 24;
  constexpr int64_t kMib = 128;
  std::vector<std::string> names;
  for (int i = 0; i < kDomains; ++i) {
    names.push_back(absl::StrCat("burst", i));
    // Half are defined now and started below; half are created and started
    // in one request below.
    if (i % 2 == 0) CreateOrDie(names.back(), kMib, /*start=*/false);
  }
  std::mutex mu;
  std::vector<std::pair<std::string, Operation>> accepted;
  std::vector<std::thread> clients;
  constexpr int kClients = 4;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = c; i < kDomains; i += kClients) {
        Operation op;
        grpc::Status s = i % 2 == 0 ? Start(names[i], &op) : Create(names[i], kMib, true, &op);
        if (!s.ok()) continue;  // the kill may cut requests off
        std::lock_guard<std::mutex> lock(mu);
        accepted.emplace_back(names[i], op);
      }
    });
  }
  // Kill as soon as a few have been accepted, with others still in flight.
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard<std::mutex> lock(mu);
    return accepted.size() >= 6;
  }));
  daemon_->Kill();
  for (std::thread& t : clients) t.join();
  daemon_.reset();
  StartDaemon();

  ExpectNothingUnderWay();
  std::set<std::string> running = ExpectConsistent(kMib);
  for (const auto& [name, op] : accepted) {
    Operation settled;
    ASSERT_TRUE(GetOperation(op.name(), &settled).ok()) << name;
    ASSERT_TRUE(settled.done()) << settled.DebugString();
    if (running.count(name) > 0) {
      EXPECT_EQ(settled.state(), Operation::DONE) << settled.DebugString();
    } else {
      EXPECT_TRUE(EndedWith(settled, Operation::FAILED, kAborted, {"xeniad stopped while"}))
          << name;
    }
  }
  // Everything the daemon defined can be started now, and the books balance.
  for (const xenia::v1::Domain& d : ListAllDomains("power_state = SHUTOFF")) {
    Operation op;
    ASSERT_TRUE(Start(d.spec().name(), &op).ok());
    EXPECT_TRUE(EndedWith(WaitDone(op), Operation::DONE)) << d.spec().name();
  }
  std::set<std::string> all_running = ExpectConsistent(kMib);
  EXPECT_EQ(all_running.size(), static_cast<size_t>(CountRows("domains")));
}

TEST_F(CrashRecoveryTest, KillWhileTheHypervisorBuildsAGuestDestroysTheHalfBuiltGuest) {
  // Building takes long enough to kill xeniad in the middle of it.
  std::string config = dir_.path() + "/xeniad.yaml";
  std::ofstream(config) << "sim:\n  create_time: 60s\n";
  options_.args = {"--config", config};
  RestartDaemon();

  Operation op;
  ASSERT_TRUE(Create("half", 256, /*start=*/true, &op).ok());
  ASSERT_TRUE(WaitUntil([&] {
    Operation now;
    return GetOperation(op.name(), &now).ok() &&
           now.progress_message().find("building") != std::string::npos;
  }));
  // Killed mid-build (as on Xen, the guest is left behind, paused); the
  // next xeniad builds quickly again.
  options_.args.clear();
  KillAndRestartDaemon();

  Operation settled;
  ASSERT_TRUE(GetOperation(op.name(), &settled).ok());
  EXPECT_TRUE(EndedWith(settled, Operation::FAILED, kAborted,
                        {"xeniad stopped while the hypervisor was building the guest", "half-built",
                         "destroyed", "start it again"}))
      << settled.DebugString();
  xenia::v1::Domain after = GetOrDie("half");
  EXPECT_EQ(after.status().power_state(), xenia::v1::SHUTOFF);
  EXPECT_FALSE(after.status().has_domid());
  EXPECT_EQ(SimulatedDomains().count("half"), 0u);
  EXPECT_EQ(Host().free_memory_mib(), kHostMib - kDom0Mib);
  ExpectNothingUnderWay();

  // Starting it again is all it takes.
  Operation start;
  ASSERT_TRUE(Start("half", &start).ok());
  Operation started = WaitDone(start);
  EXPECT_TRUE(EndedWith(started, Operation::DONE)) << started.DebugString();
  EXPECT_EQ(GetOrDie("half").status().power_state(), xenia::v1::RUNNING);
}

TEST_F(CrashRecoveryTest, AGuestStartedPausedOnPurposeStaysSoAfterAKill) {
  Operation op;
  CreateOrDie("still", 256, /*start=*/false);
  xenia::v1::StartDomainRequest req;
  req.set_name(DomainName("still"));
  req.set_paused(true);
  grpc::Status s = daemon_->domains().StartDomain(Context().get(), req, &op);
  ASSERT_TRUE(s.ok()) << s.error_message();
  Operation done = WaitDone(op);
  ASSERT_TRUE(EndedWith(done, Operation::DONE)) << done.DebugString();

  KillAndRestartDaemon();
  xenia::v1::Domain after = GetOrDie("still");
  EXPECT_EQ(after.status().power_state(), xenia::v1::PAUSED);
  EXPECT_EQ(SimulatedDomains().at("still").power_state(), xenia::v1::PAUSED);
}

TEST_F(CrashRecoveryTest, GuestsThatVanishedWhileDownAreLost) {
  xenia::v1::Domain a = CreateOrDie("vm-a");
  CreateOrDie("vm-b");
  CreateOrDie("vm-off", 256, false);
  ASSERT_EQ(daemon_->Stop(), 0) << daemon_->log();
  daemon_.reset();
  // The host rebooted: the hypervisor no longer has any guest.
  ASSERT_TRUE(std::filesystem::remove(state_dir() + "/sim-host.state"));
  StartDaemon();
  EXPECT_EQ(LogField(daemon_->log(), "xeniad ready", "lost"), "2");

  xenia::v1::Domain lost = GetOrDie("vm-a");
  EXPECT_EQ(lost.status().power_state(), xenia::v1::LOST);
  EXPECT_FALSE(lost.status().has_domid());
  EXPECT_NE(lost.status().message().find(absl::StrCat("domid ", a.status().domid())),
            std::string::npos)
      << lost.status().message();
  EXPECT_EQ(GetOrDie("vm-b").status().power_state(), xenia::v1::LOST);
  EXPECT_EQ(GetOrDie("vm-off").status().power_state(), xenia::v1::SHUTOFF);
  EXPECT_EQ(ListAllDomains("power_state = LOST").size(), 2u);
  EXPECT_EQ(Host().free_memory_mib(), kHostMib - kDom0Mib);

  // A lost domain can be started again, or deleted.
  Operation op;
  ASSERT_TRUE(Start("vm-a", &op).ok());
  Operation started = WaitDone(op);
  EXPECT_TRUE(EndedWith(started, Operation::DONE));
  EXPECT_EQ(started.domain().status().power_state(), xenia::v1::RUNNING);
  ASSERT_TRUE(Delete("vm-b", &op).ok());
  EXPECT_TRUE(EndedWith(WaitDone(op), Operation::DONE));
  EXPECT_EQ(CountRows("domains"), 2);
}

}  // namespace
}  // namespace xenia::testing

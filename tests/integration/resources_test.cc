// A running guest's memory and vCPUs through the real CLI and daemon: mem-set
// moves the balloon over the guest's own running time (a paused guest does
// not move), stops where a guest can give back no more and says so, never
// passes the maximum (mem-max raises it), and takes host memory only when it
// is free; vcpu-set stays within max_vcpus; the target survives a killed
// daemon. The host has 2 GiB, 512 MiB of which are dom0's.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/integration/daemon_fixture.h"

namespace xenia::testing {
namespace {

using xenia::v1::Operation;

class ResourcesTest : public DaemonFixture {
 protected:
  void SetUp() override {
    options_.args = {"--sim-memory", "2G", "--sim-dom0-memory", "512M"};
    DaemonFixture::SetUp();
  }

  // A running guest of `memory` MiB that may balloon up to `max` MiB.
  void Guest(const std::string& name, int memory, int max, int vcpus = 1, int max_vcpus = 0) {
    xenia::v1::DomainSpec spec = Spec(name, memory);
    spec.set_max_memory_mib(max);
    spec.set_vcpus(vcpus);
    spec.set_max_vcpus(max_vcpus);
    CreateSpecOrDie(spec);
    // A quick balloon (4 GiB a second) keeps the tests short.
    xenia::v1::GuestBehavior quick;
    quick.set_balloon_bytes_per_second(int64_t{4} << 30);
    ASSERT_TRUE(SetBehavior(name, quick).ok());
  }
  int32_t FreeMib() {
    xenia::v1::Host host;
    EXPECT_TRUE(daemon_->hosts().GetHost(Context().get(), {}, &host).ok());
    return host.free_memory_mib();
  }
  bool MemoryReaches(const std::string& name, int32_t mib) {
    return WaitUntil([&] { return GetOrDie(name).status().current_memory_mib() == mib; });
  }
};

TEST_F(ResourcesTest, ThePausedGuestHoldsItsMemoryAndBalloonsOnceUnpaused) {
  Guest("web", 1024, 1024);
  CliResult r = Xenia({"pause", "web", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  r = Xenia({"mem-set", "web", "512M", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_NE(r.out.find("web: memory set"), std::string::npos) << r.out;
  xenia::v1::Domain d = GetOrDie("web");
  EXPECT_EQ(d.status().target_memory_mib(), 512);
  // Ballooning is the guest's work: a paused guest has not moved.
  EXPECT_EQ(d.status().current_memory_mib(), 1024);

  // The target is the hypervisor's: a killed daemon finds it again.
  KillAndRestartDaemon();
  EXPECT_EQ(GetOrDie("web").status().target_memory_mib(), 512);
  EXPECT_EQ(GetOrDie("web").status().current_memory_mib(), 1024);

  r = Xenia({"unpause", "web", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(MemoryReaches("web", 512)) << GetOrDie("web").status().ShortDebugString();
}

TEST_F(ResourcesTest, MemSetWaitsForTheGuestAndGivesTheHostItsMemoryBack) {
  Guest("web", 1024, 1024);
  const int32_t free_before = FreeMib();
  EXPECT_EQ(free_before, 2048 - 512 - 1024);
  CliResult r = Xenia({"mem-set", "web", "256", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  xenia::v1::Domain d = GetOrDie("web");
  EXPECT_EQ(d.status().current_memory_mib(), 256);
  EXPECT_EQ(d.status().target_memory_mib(), 256);
  EXPECT_EQ(FreeMib(), free_before + 768);

  // Back up: the host has the memory.
  r = Xenia({"mem-set", "web", "1G", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(GetOrDie("web").status().current_memory_mib(), 1024);
  EXPECT_EQ(FreeMib(), free_before);
}

TEST_F(ResourcesTest, AGuestThatCannotBalloonThatLowSaysWhereItStopped) {
  Guest("db", 1024, 1024);
  CliResult r = Xenia({"sim", "behave", "db", "--balloon-floor", "700M"});
  EXPECT_EXIT_CODE(r, 0);
  r = Xenia({"mem-set", "db", "512M", "--wait"});
  EXPECT_EXIT_CODE(r, 4);
  EXPECT_NE(r.err.find("stopped ballooning at 700 MiB"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("512 MiB target"), std::string::npos) << r.err;
  xenia::v1::Domain d = GetOrDie("db");
  EXPECT_EQ(d.status().current_memory_mib(), 700);
  EXPECT_EQ(d.status().target_memory_mib(), 512);
  EXPECT_EQ(d.status().power_state(), xenia::v1::RUNNING);
}

TEST_F(ResourcesTest, TheMaximumBoundsMemSetAndMemMaxMovesIt) {
  Guest("app", 512, 768);
  CliResult r = Xenia({"mem-set", "app", "1G", "--wait"});
  EXPECT_EXIT_CODE(r, 4);
  EXPECT_NE(r.err.find("at most 768 MiB"), std::string::npos) << r.err;
  EXPECT_EQ(GetOrDie("app").status().target_memory_mib(), 512);

  // Not below what the guest is asked to hold.
  r = Xenia({"mem-max", "app", "256M", "--wait"});
  EXPECT_EXIT_CODE(r, 4);
  EXPECT_NE(r.err.find("below"), std::string::npos) << r.err;

  r = Xenia({"mem-max", "app", "1G", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(GetOrDie("app").status().max_memory_mib(), 1024);
  r = Xenia({"mem-set", "app", "1G", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(GetOrDie("app").status().current_memory_mib(), 1024);
  // The spec, what the next start builds, is as defined.
  EXPECT_EQ(GetOrDie("app").spec().memory_mib(), 512);
  EXPECT_EQ(GetOrDie("app").spec().max_memory_mib(), 768);
}

TEST_F(ResourcesTest, RaisingATargetTakesOnlyFreeHostMemory) {
  Guest("big", 512, 1536);
  Guest("other", 768, 768);
  // 1536 - 512 - 768 = 256 MiB free: 512 + 256 fits, 512 + 257 does not.
  EXPECT_EQ(FreeMib(), 256);
  CliResult r = Xenia({"mem-set", "big", "769M", "--wait"});
  EXPECT_EXIT_CODE(r, 6);
  EXPECT_NE(r.err.find("needs 257 MiB more, 256 MiB are free"), std::string::npos) << r.err;
  r = Xenia({"mem-set", "big", "768M", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(FreeMib(), 0);
  // Memory promised to a balloon is not free for a new domain.
  Operation op;
  ASSERT_TRUE(Create("late", 64, true, &op).ok());
  EXPECT_TRUE(EndedWith(WaitDone(op), Operation::FAILED, 8, {"not enough free memory"}));
}

TEST_F(ResourcesTest, VcpuSetStaysWithinTheMaximum) {
  Guest("cpu", 256, 256, 2, 4);
  CliResult r = Xenia({"vcpu-set", "cpu", "4", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_NE(r.out.find("cpu: vCPUs set"), std::string::npos) << r.out;
  EXPECT_EQ(GetOrDie("cpu").status().online_vcpus(), 4);
  r = Xenia({"vcpu-set", "cpu", "1", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(GetOrDie("cpu").status().online_vcpus(), 1);
  r = Xenia({"vcpu-set", "cpu", "5", "--wait"});
  EXPECT_EXIT_CODE(r, 4);
  EXPECT_NE(r.err.find("1 to 4 vCPUs"), std::string::npos) << r.err;
  EXPECT_EQ(GetOrDie("cpu").status().online_vcpus(), 1);
  r = Xenia({"vcpu-set", "cpu", "0"});
  EXPECT_EXIT_CODE(r, 2);
}

TEST_F(ResourcesTest, OnlyALiveGuestHasResourcesToChange) {
  CreateOrDie("off", 256, /*start=*/false);
  for (const std::vector<std::string>& args : {std::vector<std::string>{"mem-set", "off", "128M"},
                                               std::vector<std::string>{"mem-max", "off", "512M"},
                                               std::vector<std::string>{"vcpu-set", "off", "1"}}) {
    CliResult r = Xenia(args);
    EXPECT_EXIT_CODE(r, 4);
    EXPECT_NE(r.err.find("shut off"), std::string::npos) << r.err;
  }
  CliResult r = Xenia({"mem-set", "off", "0"});
  EXPECT_EXIT_CODE(r, 2);
  r = Xenia({"mem-set", "nope", "128M"});
  EXPECT_EXIT_CODE(r, 3);
}

}  // namespace
}  // namespace xenia::testing

// Admission control: a host of 2 GiB with 512 MiB held by dom0 leaves 1536 MiB
// for guests. A start that does not fit is accepted as an operation (the check
// belongs to the hypervisor, on the worker) and the operation FAILS with
// RESOURCE_EXHAUSTED and a message that names the numbers.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/integration/daemon_fixture.h"

namespace xenia::testing {
namespace {

using xenia::v1::Operation;

constexpr int kResourceExhausted = 8;

class AdmissionTest : public DaemonFixture {
 protected:
  void SetUp() override {
    options_.args = {"--sim-memory", "2G", "--sim-dom0-memory", "512M"};
    DaemonFixture::SetUp();
  }

  xenia::v1::Host Host() {
    xenia::v1::GetHostRequest req;
    xenia::v1::Host host;
    grpc::Status s = daemon_->hosts().GetHost(Context().get(), req, &host);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return host;
  }

  // The start must fail for lack of memory. A StartDomain leaves the domain
  // defined and halted; a CreateDomain that was to start it leaves nothing
  // behind, so that a retry can create it again.
  void ExpectDoesNotFit(const Operation& op, const std::string& name, int64_t needs, int64_t free) {
    Operation done = WaitDone(op);
    std::vector<std::string> says = {"\"" + name + "\"", absl::StrCat("needs ", needs, " MiB"),
                                     absl::StrCat(free, " MiB are free"), "2048 MiB total",
                                     "512 MiB held by dom0"};
    bool create = done.method() == "CreateDomain";
    if (create) says.push_back("the domain was not created");
    EXPECT_TRUE(EndedWith(done, Operation::FAILED, kResourceExhausted, says));
    xenia::v1::Domain d;
    grpc::Status got = Get(name, &d);
    if (create) {
      EXPECT_EQ(got.error_code(), grpc::StatusCode::NOT_FOUND) << got.error_message();
    } else {
      ASSERT_TRUE(got.ok()) << got.error_message();
      EXPECT_EQ(d.status().power_state(), xenia::v1::SHUTOFF);
      EXPECT_FALSE(d.status().has_domid());
    }
  }
};

TEST_F(AdmissionTest, HostReportsItsMemory) {
  xenia::v1::Host host = Host();
  EXPECT_EQ(host.backend(), "sim");
  EXPECT_EQ(host.total_memory_mib(), 2048);
  EXPECT_EQ(host.dom0_memory_mib(), 512);
  EXPECT_EQ(host.free_memory_mib(), 1536);
  CreateOrDie("m1", 1000);
  EXPECT_EQ(Host().free_memory_mib(), 536);
}

TEST_F(AdmissionTest, CreateAndStartThatDoesNotFitFails) {
  xenia::v1::Domain first = CreateOrDie("big1", 1024);
  ASSERT_EQ(first.status().power_state(), xenia::v1::RUNNING);
  Operation op;
  ASSERT_TRUE(Create("big2", 1024, /*start=*/true, &op).ok());
  ExpectDoesNotFit(op, "big2", 1024, 512);
  // The first guest is untouched and the host's free memory unchanged.
  xenia::v1::Domain still = GetOrDie("big1");
  EXPECT_EQ(still.status().power_state(), xenia::v1::RUNNING);
  EXPECT_EQ(still.status().domid(), first.status().domid());
  EXPECT_EQ(Host().free_memory_mib(), 512);
}

TEST_F(AdmissionTest, StartFitsOnceMemoryIsFreed) {
  CreateOrDie("a", 1024, /*start=*/false);
  CreateOrDie("b", 1024, /*start=*/false);
  Operation op;
  ASSERT_TRUE(Start("a", &op).ok());
  ASSERT_TRUE(EndedWith(WaitDone(op), Operation::DONE));
  ASSERT_TRUE(Start("b", &op).ok());
  ExpectDoesNotFit(op, "b", 1024, 512);

  ASSERT_TRUE(Destroy("a", &op).ok());
  ASSERT_TRUE(EndedWith(WaitDone(op), Operation::DONE));
  EXPECT_EQ(Host().free_memory_mib(), 1536);
  ASSERT_TRUE(Start("b", &op).ok());
  Operation started = WaitDone(op);
  ASSERT_TRUE(EndedWith(started, Operation::DONE));
  EXPECT_EQ(started.domain().status().power_state(), xenia::v1::RUNNING);
  EXPECT_EQ(Host().free_memory_mib(), 512);
}

TEST_F(AdmissionTest, DomainLargerThanTheHostNeverFits) {
  Operation op;
  ASSERT_TRUE(Create("huge", 4096, /*start=*/true, &op).ok());
  ExpectDoesNotFit(op, "huge", 4096, 1536);
  EXPECT_EQ(Host().free_memory_mib(), 1536);
}

TEST_F(AdmissionTest, PausedGuestsKeepTheirMemory) {
  CreateOrDie("p1", 1024);
  Operation op;
  ASSERT_TRUE(Pause("p1", &op).ok());
  ASSERT_TRUE(EndedWith(WaitDone(op), Operation::DONE));
  ASSERT_TRUE(Create("p2", 1024, true, &op).ok());
  ExpectDoesNotFit(op, "p2", 1024, 512);
}

TEST_F(AdmissionTest, ExactFitIsAdmittedAndThenNothingMore) {
  xenia::v1::Domain all = CreateOrDie("all", 1536);
  EXPECT_EQ(all.status().power_state(), xenia::v1::RUNNING);
  EXPECT_EQ(Host().free_memory_mib(), 0);
  Operation op;
  ASSERT_TRUE(Create("tiny", 1, true, &op).ok());
  ExpectDoesNotFit(op, "tiny", 1, 0);
}

// Starts racing for the same memory never overcommit the host: of six
// 512 MiB guests started at once, exactly three fit.
TEST_F(AdmissionTest, ConcurrentStartsNeverOvercommit) {
  std::vector<std::string> names;
  for (int i = 0; i < 6; ++i) {
    names.push_back(absl::StrCat("race", i));
    CreateOrDie(names.back(), 512, /*start=*/false);
  }
  std::vector<Operation> ops(names.size());
  for (size_t i = 0; i < names.size(); ++i) ASSERT_TRUE(Start(names[i], &ops[i]).ok());
  int running = 0;
  int refused = 0;
  for (const Operation& op : ops) {
    Operation done = WaitDone(op);
    if (done.state() == Operation::DONE) {
      ++running;
    } else {
      EXPECT_TRUE(EndedWith(done, Operation::FAILED, kResourceExhausted, {"needs 512 MiB"}));
      ++refused;
    }
  }
  EXPECT_EQ(running, 3);
  EXPECT_EQ(refused, 3);
  EXPECT_EQ(Host().free_memory_mib(), 0);
  EXPECT_EQ(ListAllDomains("power_state = RUNNING").size(), 3u);
}

}  // namespace
}  // namespace xenia::testing

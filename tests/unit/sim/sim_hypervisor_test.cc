// SimHypervisor: the host, dom0, domids, admission control, the run-state
// machine and DomainRef checks, on a FakeClock.
#include "daemon/hypervisor/sim/sim_hypervisor.h"

#include <atomic>

#include "absl/strings/match.h"
#include "daemon/hypervisor/sim/sim_state_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/sim/sim_test_util.h"

namespace xenia::hv {
namespace {

using testing::CrashAfter;
using ::testing::HasSubstr;
using testing::IgnoreShutdown;
using testing::SimTest;
using testing::Spec;

class SimHypervisorTest : public SimTest {
 protected:
  void SetUp() override { Open(); }
};

TEST_F(SimHypervisorTest, DescribesTheHost) {
  absl::StatusOr<HostFacts> host = sim_->DescribeHost(ctx_);
  ASSERT_TRUE(host.ok()) << host.status();
  EXPECT_EQ(host->backend, "sim");
  EXPECT_FALSE(host->version.empty());
  EXPECT_EQ(host->total_memory_kib, 16384 * 1024);
  EXPECT_EQ(host->dom0_memory_kib, 1024 * 1024);
  EXPECT_EQ(host->free_memory_kib, (16384 - 1024) * 1024);
  EXPECT_EQ(host->cpus, 8);
  Create("a", 2048);
  EXPECT_EQ(sim_->DescribeHost(ctx_)->free_memory_kib, (16384 - 1024 - 2048) * 1024);
}

TEST_F(SimHypervisorTest, ListsDom0First) {
  absl::StatusOr<std::vector<DomainFacts>> list = sim_->ListDomains(ctx_);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 1u);
  const DomainFacts& dom0 = (*list)[0];
  EXPECT_EQ(dom0.domid, 0u);
  EXPECT_EQ(dom0.name, "Domain-0");
  EXPECT_EQ(dom0.state, RunState::kRunning);
  EXPECT_EQ(dom0.current_memory_kib, 1024 * 1024);
  EXPECT_EQ(dom0.online_vcpus, 8);
  // dom0 can be described, and its uuid checked, but not touched.
  EXPECT_TRUE(sim_->DescribeDomain(ctx_, {0, dom0.uuid}).ok());
  EXPECT_EQ(sim_->DescribeDomain(ctx_, {0, "11111111-1111-1111-1111-111111111111"}).status().code(),
            absl::StatusCode::kNotFound);
  for (absl::Status s : {sim_->PauseDomain(ctx_, {0, ""}), sim_->DestroyDomain(ctx_, {0, ""}),
                         sim_->ShutdownDomain(ctx_, {{0, ""}, ShutdownReason::kPoweroff})}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_THAT(s.message(), HasSubstr("control domain"));
  }
}

TEST_F(SimHypervisorTest, CreateReturnsTheFacts) {
  xenia::v1::DomainSpec spec = Spec("web1", 1024, 2);
  spec.set_max_memory_mib(2048);
  spec.set_max_vcpus(4);
  spec.set_uuid("AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE");
  spec.set_type(xenia::v1::HVM);
  absl::StatusOr<DomainFacts> d = sim_->CreateDomain(ctx_, {&spec, false});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->domid, 1u);
  EXPECT_EQ(d->uuid, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
  EXPECT_EQ(d->name, "web1");
  EXPECT_EQ(d->state, RunState::kRunning);
  EXPECT_EQ(d->current_memory_kib, 1024 * 1024);
  EXPECT_EQ(d->max_memory_kib, 2048 * 1024);
  EXPECT_EQ(d->online_vcpus, 2);
  EXPECT_EQ(d->max_vcpus, 4);
  EXPECT_EQ(d->cpu_time_ns, 0);
  EXPECT_EQ(d->type, xenia::v1::HVM);
  EXPECT_EQ(d->requested_shutdown, ShutdownReason::kNone);
}

TEST_F(SimHypervisorTest, CreateDefaultsAndMaxima) {
  xenia::v1::DomainSpec spec;
  spec.set_name("small");
  spec.set_memory_mib(256);
  spec.set_max_memory_mib(128);  // below memory: memory wins
  spec.set_max_vcpus(0);
  absl::StatusOr<DomainFacts> d = sim_->CreateDomain(ctx_, {&spec, false});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->max_memory_kib, 256 * 1024);
  EXPECT_EQ(d->online_vcpus, 1);
  EXPECT_EQ(d->max_vcpus, 1);
  EXPECT_EQ(d->type, xenia::v1::PVH);
  EXPECT_EQ(d->uuid.size(), 36u);
}

TEST_F(SimHypervisorTest, CreateRejectsBadSpecs) {
  xenia::v1::DomainSpec spec = Spec("x", 0);
  EXPECT_EQ(sim_->CreateDomain(ctx_, {&spec, false}).status().code(),
            absl::StatusCode::kInvalidArgument);
  spec = Spec("", 64);
  EXPECT_EQ(sim_->CreateDomain(ctx_, {&spec, false}).status().code(),
            absl::StatusCode::kInvalidArgument);
  spec = Spec("x", 64);
  spec.set_uuid("not-a-uuid");
  EXPECT_EQ(sim_->CreateDomain(ctx_, {&spec, false}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(sim_->CreateDomain(ctx_, {nullptr, false}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SimHypervisorTest, CreatePausedStaysPaused) {
  DomainFacts d = Create("p", 512, 1, /*paused=*/true);
  EXPECT_EQ(d.state, RunState::kPaused);
  Advance(absl::Seconds(10));
  EXPECT_EQ(Describe(d).cpu_time_ns, 0);
}

TEST_F(SimHypervisorTest, DomidsIncreaseAndAreNotReused) {
  DomainFacts a = Create("a");
  DomainFacts b = Create("b");
  EXPECT_EQ(a.domid, 1u);
  EXPECT_EQ(b.domid, 2u);
  ASSERT_TRUE(sim_->DestroyDomain(ctx_, Ref(a)).ok());
  DomainFacts c = Create("c");
  EXPECT_EQ(c.domid, 3u);
  ASSERT_TRUE(sim_->DestroyDomain(ctx_, Ref(b)).ok());
  ASSERT_TRUE(sim_->DestroyDomain(ctx_, Ref(c)).ok());
  EXPECT_EQ(Create("d").domid, 4u);
  absl::StatusOr<std::vector<DomainFacts>> list = sim_->ListDomains(ctx_);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].name, "d");
}

TEST_F(SimHypervisorTest, DomidsWrapBelowTheReservedRangeSkippingThoseInUse) {
  DomainFacts low = Create("low");  // domid 1, still in use after the wrap
  // Move the allocator near the top, as ~32,000 creations would.
  sim_.reset();
  {
    absl::StatusOr<std::string> boot_id = ReadHostBootId();
    ASSERT_TRUE(boot_id.ok());
    auto file = SimStateFile::Open(config_.state_file, 16, *boot_id, logger_);
    ASSERT_TRUE(file.ok()) << file.status();
    StateHeader header = (*file)->header();
    header.next_domid = 0x7FEE;
    (*file)->StoreHeader(header);
  }
  Open();
  EXPECT_EQ(Create("x1").domid, 0x7FEEu);
  EXPECT_EQ(Create("x2").domid, 0x7FEFu);
  EXPECT_EQ(Create("x3").domid, 2u);  // 0x7FF0 is reserved; 1 is in use
  EXPECT_EQ(Describe(low).name, "low");
}

TEST_F(SimHypervisorTest, AdmissionControlNamesTheNumbers) {
  Create("big", 12288);
  const xenia::v1::DomainSpec spec = Spec("web1", 4096);
  absl::StatusOr<DomainFacts> d = sim_->CreateDomain(ctx_, {&spec, false});
  ASSERT_EQ(d.status().code(), absl::StatusCode::kResourceExhausted) << d.status();
  EXPECT_THAT(d.status().message(),
              HasSubstr("not enough free memory on the host to create domain \"web1\": it needs "
                        "4096 MiB, 3072 MiB are free (16384 MiB total, 1024 MiB held by dom0)"));
  // Exactly the free memory fits.
  Create("fits", 3072);
  EXPECT_EQ(sim_->DescribeHost(ctx_)->free_memory_kib, 0);
}

TEST_F(SimHypervisorTest, ShutDownDomainsStillHoldTheirMemory) {
  DomainFacts big = Create("big", 15360);
  ASSERT_TRUE(sim_->ShutdownDomain(ctx_, {Ref(big), ShutdownReason::kPoweroff}).ok());
  Advance(absl::Seconds(3));
  ASSERT_EQ(Describe(big).state, RunState::kShutdown);
  const xenia::v1::DomainSpec spec = Spec("next", 1);
  EXPECT_EQ(sim_->CreateDomain(ctx_, {&spec, false}).status().code(),
            absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(sim_->DestroyDomain(ctx_, Ref(big)).ok());
  EXPECT_TRUE(sim_->CreateDomain(ctx_, {&spec, false}).ok());
}

TEST_F(SimHypervisorTest, MaxDomainsIncludesDom0) {
  config_.max_domains = 3;
  Open();
  Create("a");
  Create("b");
  const xenia::v1::DomainSpec spec = Spec("c");
  absl::StatusOr<DomainFacts> d = sim_->CreateDomain(ctx_, {&spec, false});
  EXPECT_EQ(d.status().code(), absl::StatusCode::kResourceExhausted) << d.status();
  EXPECT_THAT(d.status().message(), HasSubstr("max_domains"));
}

TEST_F(SimHypervisorTest, NamesAndUuidsAreUnique) {
  DomainFacts a = Create("a");
  xenia::v1::DomainSpec spec = Spec("a");
  absl::StatusOr<DomainFacts> d = sim_->CreateDomain(ctx_, {&spec, false});
  EXPECT_EQ(d.status().code(), absl::StatusCode::kAlreadyExists) << d.status();
  spec = Spec("b");
  spec.set_uuid(a.uuid);
  d = sim_->CreateDomain(ctx_, {&spec, false});
  EXPECT_EQ(d.status().code(), absl::StatusCode::kAlreadyExists) << d.status();
  spec = Spec("Domain-0");
  EXPECT_EQ(sim_->CreateDomain(ctx_, {&spec, false}).status().code(),
            absl::StatusCode::kAlreadyExists);
  // A shut-down domain still exists; a destroyed one frees its name.
  ASSERT_TRUE(sim_->DestroyDomain(ctx_, Ref(a)).ok());
  spec = Spec("a");
  EXPECT_TRUE(sim_->CreateDomain(ctx_, {&spec, false}).ok());
}

TEST_F(SimHypervisorTest, LegalTransitions) {
  DomainFacts d = Create("web1");
  ASSERT_TRUE(sim_->PauseDomain(ctx_, Ref(d)).ok());
  EXPECT_EQ(Describe(d).state, RunState::kPaused);
  ASSERT_TRUE(sim_->UnpauseDomain(ctx_, Ref(d)).ok());
  EXPECT_EQ(Describe(d).state, RunState::kRunning);
  ASSERT_TRUE(sim_->ShutdownDomain(ctx_, {Ref(d), ShutdownReason::kPoweroff}).ok());
  EXPECT_EQ(Describe(d).requested_shutdown, ShutdownReason::kPoweroff);
  ASSERT_TRUE(sim_->DestroyDomain(ctx_, Ref(d)).ok());
  EXPECT_EQ(sim_->DescribeDomain(ctx_, Ref(d)).status().code(), absl::StatusCode::kNotFound);
  // Destroy works from every state.
  DomainFacts paused = Create("paused", 512, 1, true);
  EXPECT_TRUE(sim_->DestroyDomain(ctx_, Ref(paused)).ok());
  DomainFacts down = Create("down");
  ASSERT_TRUE(sim_->ShutdownDomain(ctx_, {Ref(down), ShutdownReason::kPoweroff}).ok());
  Advance(absl::Seconds(3));
  ASSERT_EQ(Describe(down).state, RunState::kShutdown);
  EXPECT_TRUE(sim_->DestroyDomain(ctx_, Ref(down)).ok());
  // The caller destroyed them: no events.
  EXPECT_EQ(handler_.events().size(), 1u);  // only down's own shutdown
}

TEST_F(SimHypervisorTest, IllegalTransitionsNameTheDomainAndItsState) {
  DomainFacts d = Create("web1");
  ASSERT_TRUE(sim_->PauseDomain(ctx_, Ref(d)).ok());
  absl::Status s = sim_->PauseDomain(ctx_, Ref(d));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "domain 1 (\"web1\") is paused; it must be running to be paused");
  s = sim_->ShutdownDomain(ctx_, {Ref(d), ShutdownReason::kReboot});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "domain 1 (\"web1\") is paused; it must be running to be asked to reboot");
  ASSERT_TRUE(sim_->UnpauseDomain(ctx_, Ref(d)).ok());
  s = sim_->UnpauseDomain(ctx_, Ref(d));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "domain 1 (\"web1\") is running; it must be paused to be unpaused");

  ASSERT_TRUE(sim_->SetGuestBehavior(Ref(d), CrashAfter(absl::ZeroDuration())).ok());
  ASSERT_EQ(Describe(d).state, RunState::kShutdown);
  for (absl::Status t : {sim_->PauseDomain(ctx_, Ref(d)), sim_->UnpauseDomain(ctx_, Ref(d)),
                         sim_->ShutdownDomain(ctx_, {Ref(d), ShutdownReason::kPoweroff})}) {
    EXPECT_EQ(t.code(), absl::StatusCode::kFailedPrecondition) << t;
    EXPECT_THAT(t.message(), HasSubstr("domain 1 (\"web1\") is shut down (crash)"));
  }
  EXPECT_EQ(sim_->SetGuestBehavior(Ref(d), IgnoreShutdown(true)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(SimHypervisorTest, ShutdownReasonMustBePoweroffOrReboot) {
  DomainFacts d = Create("web1");
  EXPECT_EQ(sim_->ShutdownDomain(ctx_, {Ref(d), ShutdownReason::kCrash}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SimHypervisorTest, DomainRefChecks) {
  DomainFacts d = Create("web1");
  absl::Status s = sim_->PauseDomain(ctx_, {99, ""});
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("99"));
  s = sim_->PauseDomain(ctx_, {d.domid, "11111111-2222-3333-4444-555555555555"});
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("not uuid 11111111-2222-3333-4444-555555555555"));
  EXPECT_THAT(s.message(), HasSubstr(d.uuid));
  // An empty uuid skips the check; case does not matter.
  EXPECT_TRUE(sim_->PauseDomain(ctx_, {d.domid, ""}).ok());
  std::string upper = d.uuid;
  for (char& c : upper) c = static_cast<char>(toupper(c));
  EXPECT_TRUE(sim_->UnpauseDomain(ctx_, {d.domid, upper}).ok());
  EXPECT_EQ(sim_->DestroyDomain(ctx_, {d.domid, "11111111-2222-3333-4444-555555555555"}).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Describe(d).state, RunState::kRunning);
}

TEST_F(SimHypervisorTest, CancelledOrExpiredContextsDoNothing) {
  std::atomic<bool> cancelled{true};
  OpContext cancel;
  cancel.cancelled = &cancelled;
  const xenia::v1::DomainSpec spec = Spec("web1");
  EXPECT_EQ(sim_->CreateDomain(cancel, {&spec, false}).status().code(),
            absl::StatusCode::kCancelled);
  OpContext late;
  late.deadline = clock_.Now() - absl::Seconds(1);
  EXPECT_EQ(sim_->CreateDomain(late, {&spec, false}).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(sim_->ListDomains(ctx_)->size(), 1u);
}

TEST_F(SimHypervisorTest, CreateTimeRespectsTheDeadlineAndLeavesNothingBehind) {
  config_.create_time = absl::Milliseconds(200);
  Open();
  OpContext short_deadline;
  short_deadline.deadline = clock_.Now() + absl::Milliseconds(20);
  const xenia::v1::DomainSpec spec = Spec("slow", 4096);
  absl::StatusOr<DomainFacts> d = sim_->CreateDomain(short_deadline, {&spec, false});
  EXPECT_EQ(d.status().code(), absl::StatusCode::kDeadlineExceeded) << d.status();
  EXPECT_EQ(sim_->ListDomains(ctx_)->size(), 1u);
  EXPECT_EQ(sim_->DescribeHost(ctx_)->free_memory_kib, (16384 - 1024) * 1024);
  // With time enough it is built, and progress is reported.
  int last_percent = -1;
  OpContext patient;
  patient.progress = [&](int percent, absl::string_view) { last_percent = percent; };
  d = sim_->CreateDomain(patient, {&spec, false});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(last_percent, 100);
  EXPECT_EQ(d->domid, 2u);  // the abandoned build used domid 1
}

TEST_F(SimHypervisorTest, CancellationDuringCreateLeavesNothingBehind) {
  config_.create_time = absl::Seconds(30);
  Open();
  std::atomic<bool> cancelled{false};
  OpContext ctx;
  ctx.cancelled = &cancelled;
  // Cancel once the build has begun (the first progress report).
  ctx.progress = [&](int, absl::string_view) { cancelled = true; };
  const xenia::v1::DomainSpec spec = Spec("slow");
  const absl::Time start = absl::Now();
  absl::StatusOr<DomainFacts> d = sim_->CreateDomain(ctx, {&spec, false});
  EXPECT_EQ(d.status().code(), absl::StatusCode::kCancelled) << d.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(sim_->ListDomains(ctx_)->size(), 1u);
  config_.create_time = absl::ZeroDuration();
  Open();
  EXPECT_TRUE(sim_->CreateDomain(ctx_, {&spec, false}).ok());
}

TEST_F(SimHypervisorTest, OpenRejectsImpossibleConfigs) {
  sim_.reset();
  SimHostConfig bad = config_;
  bad.dom0_memory_mib = bad.total_memory_mib;
  absl::StatusOr<std::unique_ptr<SimHypervisor>> sim = SimHypervisor::Open(bad, clock_, logger_);
  EXPECT_EQ(sim.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(sim.status().message(), HasSubstr("dom0_memory_mib"));
  bad = config_;
  bad.cpu_load = 1.5;
  EXPECT_EQ(SimHypervisor::Open(bad, clock_, logger_).status().code(),
            absl::StatusCode::kInvalidArgument);
  bad = config_;
  bad.state_file.clear();
  EXPECT_EQ(SimHypervisor::Open(bad, clock_, logger_).status().code(),
            absl::StatusCode::kInvalidArgument);
  bad = config_;
  bad.max_domains = 1;
  EXPECT_EQ(SimHypervisor::Open(bad, clock_, logger_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace xenia::hv

// Migration between two real xeniad daemons on loopback (each on its own
// simulated host), sharing a peer token: live and non-live moves, the
// refusals, and the faults — either daemon killed mid-stream, the connection
// cut, a record corrupted in transit, the destination out of memory. In every
// case exactly one copy of the guest runs afterwards, and the other side
// keeps nothing.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "tests/integration/daemon_fixture.h"
#include "tests/integration/tcp_fault_proxy.h"
#include "xenia/v1/migration.grpc.pb.h"

namespace xenia::testing {
namespace {

using grpc::StatusCode;
using xenia::v1::Operation;

constexpr char kToken[] = "migration-test-peer-token-0123456789";

class DomainMigrationTest : public DaemonFixture {
 protected:
  void SetUp() override {
    token_file_ = dir_.path() + "/peer.token";
    WriteToken(token_file_, kToken);
    options_.args = {"--listen", "127.0.0.1:0", "--peer-token-file", token_file_};
    options_.host_id = "source";
    DaemonFixture::SetUp();
    StartDestination({});
  }

  void TearDown() override {
    if (destination_ != nullptr) destination_->Stop();
    DaemonFixture::TearDown();
  }

  static void WriteToken(const std::string& path, const std::string& token) {
    std::ofstream(path) << token << "\n";
    chmod(path.c_str(), 0600);
  }

  // Starts (or restarts) the destination daemon, on its own state.
  void StartDestination(std::vector<std::string> extra) {
    DaemonOptions options;
    options.state_dir = dest_dir_.path() + "/state";
    options.socket = dest_dir_.path() + "/xeniad.sock";
    options.host_id = "destination";
    options.args = {"--listen", "127.0.0.1:0", "--peer-token-file", token_file_};
    options.args.insert(options.args.end(), extra.begin(), extra.end());
    std::string failure;
    destination_ = DaemonProcess::Start(options, &failure);
    ASSERT_NE(destination_, nullptr) << failure;
    ASSERT_TRUE(absl::SimpleAtoi(LogField(destination_->log(), "listening on TCP", "port"),
                                 &destination_port_))
        << destination_->log();
  }

  std::string Destination(int port = 0) const {
    return absl::StrCat("127.0.0.1:", port == 0 ? destination_port_ : port);
  }

  grpc::Status Migrate(const std::string& name, const std::string& destination, bool live,
                       int bandwidth_mib, Operation* op) {
    xenia::v1::MigrateDomainRequest req;
    req.set_name(DomainName(name));
    req.set_destination(destination);
    req.set_live(live);
    req.set_max_bandwidth_mib_per_second(bandwidth_mib);
    return daemon_->domains().MigrateDomain(Context().get(), req, op);
  }

  void SetDirtyRate(const std::string& name, int64_t bytes_per_second) {
    xenia::v1::GuestBehavior behavior;
    behavior.set_dirty_bytes_per_second(bytes_per_second);
    ASSERT_TRUE(SetBehavior(name, behavior).ok());
  }

  // The destination's view of a domain.
  grpc::Status GetThere(const std::string& name, xenia::v1::Domain* out) {
    xenia::v1::GetDomainRequest req;
    req.set_name(DomainName(name));
    return destination_->domains().GetDomain(Context().get(), req, out);
  }

  std::map<std::string, xenia::v1::SimulatedDomain> SimulatedThere() {
    xenia::v1::ListSimulatedDomainsRequest req;
    xenia::v1::ListSimulatedDomainsResponse resp;
    EXPECT_TRUE(destination_->simulator().ListSimulatedDomains(Context().get(), req, &resp).ok());
    std::map<std::string, xenia::v1::SimulatedDomain> out;
    for (const auto& d : resp.domains()) {
      if (d.domid() != 0) out[d.name()] = d;
    }
    return out;
  }

  // The guest runs here, on the source, and nothing of it is on the
  // destination (its record and its guest are gone there).
  void ExpectOnlyOnSource(const std::string& name) {
    xenia::v1::Domain here = GetOrDie(name);
    EXPECT_EQ(here.status().power_state(), xenia::v1::RUNNING) << here.DebugString();
    auto sim = SimulatedDomains();
    ASSERT_TRUE(sim.contains(name));
    EXPECT_EQ(sim[name].power_state(), xenia::v1::RUNNING);
    xenia::v1::Domain there;
    EXPECT_TRUE(WaitUntil([&] {
      return GetThere(name, &there).error_code() == StatusCode::NOT_FOUND;
    })) << there.DebugString();
    EXPECT_TRUE(WaitUntil([&] { return !SimulatedThere().contains(name); }));
  }

  // Waits until the source's migration has sent `percent` of the memory.
  bool WaitForProgress(const Operation& op, int percent) {
    return WaitUntil([&] {
      Operation now;
      return GetOperation(op.name(), &now).ok() && now.progress_percent() >= percent && !now.done();
    });
  }

  // Starts migrating `name` through a proxy that cuts the call right before
  // the Commit, and waits until the destination holds the verified guest
  // paused for the decision. Returns the proxy (null on failure).
  std::unique_ptr<TcpFaultProxy> MigrateWithTheCommitCut(const std::string& name, Operation* op) {
    absl::StatusOr<std::unique_ptr<TcpFaultProxy>> proxy = TcpFaultProxy::Start(destination_port_);
    EXPECT_TRUE(proxy.ok()) << proxy.status();
    if (!proxy.ok()) return nullptr;
    // 0x1A: MigrationMessage field 3, the Commit.
    (*proxy)->CutBeforeMessageStartingWith(0x1A, /*refuse_new=*/true);
    EXPECT_TRUE(Migrate(name, Destination((*proxy)->port()), true, 0, op).ok());
    xenia::v1::Domain there;
    EXPECT_TRUE(WaitUntil([&] {
      return GetThere(name, &there).ok() && there.status().power_state() == xenia::v1::PAUSED &&
             !there.status().incoming_migration().empty() && (*proxy)->cut();
    })) << there.DebugString();
    return *std::move(proxy);
  }

  std::string token_file_;
  TempDir dest_dir_;
  std::unique_ptr<DaemonProcess> destination_;
  int destination_port_ = 0;
};

TEST_F(DomainMigrationTest, LiveMigrationMovesTheRunningGuestAndItsRecord) {
  CreateOrDie("web", 256);
  SetDirtyRate("web", 20 << 20);
  Operation op;
  ASSERT_TRUE(Migrate("web", Destination(), true, 0, &op).ok());
  Operation done = WaitDone(op, absl::Seconds(60));
  ASSERT_TRUE(EndedWith(done, Operation::DONE)) << done.DebugString();
  ASSERT_TRUE(done.has_migration()) << done.DebugString();
  const xenia::v1::MigrationResult& result = done.migration();
  EXPECT_TRUE(result.live());
  EXPECT_EQ(result.destination(), Destination());
  EXPECT_EQ(result.destination_domain(), "hosts/destination/domains/web");
  // The whole memory at least once, and the guest's writes again after.
  EXPECT_GE(result.pages_sent(), 256 * 256);
  EXPECT_GT(result.bytes_sent(), int64_t{256} << 20);
  EXPECT_GE(result.rounds(), 2);
  EXPECT_FALSE(result.stop_reason().empty());
  EXPECT_TRUE(result.has_downtime());
  EXPECT_GT(result.downtime().seconds() * 1000000000LL + result.downtime().nanos(), 0);
  EXPECT_EQ(result.digest().rfind("xxh3-128:", 0), 0u);

  // The record moved: gone here, running there; one guest, there.
  xenia::v1::Domain gone;
  EXPECT_TRUE(IsError(Get("web", &gone), StatusCode::NOT_FOUND));
  EXPECT_FALSE(SimulatedDomains().contains("web"));
  xenia::v1::Domain there;
  ASSERT_TRUE(GetThere("web", &there).ok());
  EXPECT_EQ(there.status().power_state(), xenia::v1::RUNNING);
  EXPECT_TRUE(there.status().incoming_migration().empty());
  auto sim = SimulatedThere();
  ASSERT_TRUE(sim.contains("web"));
  EXPECT_EQ(sim["web"].power_state(), xenia::v1::RUNNING);

  // And it can come back the same way.
  Operation back;
  xenia::v1::MigrateDomainRequest req;
  req.set_name(DomainName("web"));
  req.set_live(true);
  req.set_destination(
      absl::StrCat("127.0.0.1:", LogField(daemon_->log(), "listening on TCP", "port")));
  ASSERT_TRUE(destination_->domains().MigrateDomain(Context().get(), req, &back).ok());
  xenia::v1::WaitOperationRequest wait;
  wait.set_name(back.name());
  Operation back_done;
  ASSERT_TRUE(WaitUntil(
      [&] {
        return destination_->operations().WaitOperation(Context().get(), wait, &back_done).ok() &&
               back_done.done();
      },
      absl::Seconds(60)));
  EXPECT_EQ(back_done.state(), Operation::DONE) << back_done.DebugString();
  EXPECT_EQ(GetOrDie("web").status().power_state(), xenia::v1::RUNNING);
}

TEST_F(DomainMigrationTest, NonLiveMigrationCopiesMemoryOnce) {
  CreateOrDie("db", 128);
  Operation op;
  ASSERT_TRUE(Migrate("db", Destination(), false, 0, &op).ok());
  Operation done = WaitDone(op, absl::Seconds(60));
  ASSERT_TRUE(EndedWith(done, Operation::DONE)) << done.DebugString();
  EXPECT_FALSE(done.migration().live());
  EXPECT_EQ(done.migration().rounds(), 1);
  EXPECT_EQ(done.migration().pages_sent(), 128 * 256);
  EXPECT_EQ(done.migration().stop_reason(), "not live");
  xenia::v1::Domain there;
  ASSERT_TRUE(GetThere("db", &there).ok());
  EXPECT_EQ(there.status().power_state(), xenia::v1::RUNNING);
}

TEST_F(DomainMigrationTest, RefusalsLeaveTheGuestRunningOnTheSource) {
  CreateOrDie("web", 128);
  // The destination already has a domain of that name.
  xenia::v1::CreateDomainRequest create;
  *create.mutable_spec() = Spec("web", 64);
  Operation created;
  ASSERT_TRUE(destination_->domains().CreateDomain(Context().get(), create, &created).ok());
  Operation op;
  ASSERT_TRUE(Migrate("web", Destination(), true, 0, &op).ok());
  EXPECT_TRUE(EndedWith(WaitDone(op), Operation::FAILED,
                        static_cast<int>(StatusCode::ALREADY_EXISTS),
                        {"web", "already defined", "runs on here"}));
  EXPECT_EQ(GetOrDie("web").status().power_state(), xenia::v1::RUNNING);

  // Nobody listens there.
  ASSERT_TRUE(Migrate("web", "127.0.0.1:1", true, 0, &op).ok());
  EXPECT_TRUE(EndedWith(WaitDone(op), Operation::FAILED, static_cast<int>(StatusCode::UNAVAILABLE),
                        {"cannot reach", "127.0.0.1:1"}));

  // A malformed destination is refused at once.
  EXPECT_TRUE(IsError(Migrate("web", "nowhere", true, 0, &op), StatusCode::INVALID_ARGUMENT,
                      {"destination", "HOST:PORT"}));
  EXPECT_EQ(GetOrDie("web").status().power_state(), xenia::v1::RUNNING);
}

// As on Debian's Xen, which has no shadow paging: a live migration of a PV
// guest is refused before anything moves (xl migrate finds out halfway, with
// errno 95), and says what to do instead. PVH guests and non-live
// migrations are not affected.
TEST_F(DomainMigrationTest, WithoutShadowPagingALivePvMigrationIsRefusedUpFront) {
  options_.args.insert(options_.args.end(), {"--sim-shadow-paging", "false"});
  RestartDaemon();
  xenia::v1::Host host;
  ASSERT_TRUE(daemon_->hosts().GetHost(Context().get(), {}, &host).ok());
  EXPECT_FALSE(host.pv_live_migration());
  xenia::v1::Host there_host;
  ASSERT_TRUE(destination_->hosts().GetHost(Context().get(), {}, &there_host).ok());
  EXPECT_TRUE(there_host.pv_live_migration());

  xenia::v1::DomainSpec pv = Spec("pv1", 128);
  pv.set_type(xenia::v1::PV);
  CreateSpecOrDie(pv);
  Operation op;
  // Refused at once, whether or not anything listens at the destination,
  // and the destination hears nothing of it.
  EXPECT_TRUE(IsError(Migrate("pv1", "127.0.0.1:1", true, 0, &op), StatusCode::FAILED_PRECONDITION,
                      {"PV guest", "shadow paging", "--no-live"}));
  EXPECT_TRUE(IsError(Migrate("pv1", Destination(), true, 0, &op), StatusCode::FAILED_PRECONDITION,
                      {"PV guest", "--no-live"}));
  ExpectOnlyOnSource("pv1");

  ASSERT_TRUE(Migrate("pv1", Destination(), false, 0, &op).ok());
  Operation done = WaitDone(op, absl::Seconds(60));
  ASSERT_TRUE(EndedWith(done, Operation::DONE)) << done.DebugString();
  xenia::v1::Domain there;
  ASSERT_TRUE(GetThere("pv1", &there).ok());
  EXPECT_EQ(there.status().power_state(), xenia::v1::RUNNING);

  CreateOrDie("pvh1", 128);
  ASSERT_TRUE(Migrate("pvh1", Destination(), true, 0, &op).ok());
  done = WaitDone(op, absl::Seconds(60));
  EXPECT_TRUE(EndedWith(done, Operation::DONE)) << done.DebugString();
  EXPECT_TRUE(done.migration().live());
}

// A destination refuses a stream in the format its backend does not
// restore as soon as the Begin names it: hosts of the libxl backend send
// xl's images, and a simulated host restores only Xenia streams.
TEST_F(DomainMigrationTest, TheDestinationRefusesAStreamOfTheOtherBackend) {
  auto channel = grpc::CreateChannel(Destination(), grpc::InsecureChannelCredentials());
  auto stub = xenia::v1::MigrationService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto call = stub->ReceiveMigration(&ctx);
  xenia::v1::MigrationMessage begin;
  begin.mutable_begin()->set_operation("hosts/xen1/operations/op-1");
  begin.mutable_begin()->set_source_host("xen1");
  *begin.mutable_begin()->mutable_spec() = Spec("fromxen", 128);
  begin.mutable_begin()->mutable_spec()->set_uuid("3f1c2a9e-8d4b-4c1a-9e7f-2b6d5a4c3e21");
  begin.mutable_begin()->set_live(true);
  begin.mutable_begin()->set_format(xenia::v1::SaveImage::XL);
  ASSERT_TRUE(call->Write(begin));
  call->WritesDone();
  xenia::v1::MigrationReply reply;
  bool prepared = false;
  while (call->Read(&reply))
    prepared = prepared || reply.phase() == xenia::v1::MigrationReply::PREPARED;
  EXPECT_FALSE(prepared);
  EXPECT_TRUE(IsError(call->Finish(), StatusCode::FAILED_PRECONDITION,
                      {"an xl save image", "a Xenia domain stream", "same backend"}));
  xenia::v1::Domain there;
  EXPECT_TRUE(IsError(GetThere("fromxen", &there), StatusCode::NOT_FOUND));
}

TEST_F(DomainMigrationTest, TheDestinationAdmitsOnlyItsPeers) {
  CreateOrDie("web", 128);
  destination_->Stop();
  std::string other = dest_dir_.path() + "/other.token";
  WriteToken(other, "a-different-token-of-another-fleet");
  DaemonOptions options = destination_->options();
  options.args = {"--listen", "127.0.0.1:0", "--peer-token-file", other};
  std::string failure;
  destination_ = DaemonProcess::Start(options, &failure);
  ASSERT_NE(destination_, nullptr) << failure;
  ASSERT_TRUE(absl::SimpleAtoi(LogField(destination_->log(), "listening on TCP", "port"),
                               &destination_port_));
  Operation op;
  ASSERT_TRUE(Migrate("web", Destination(), true, 0, &op).ok());
  EXPECT_TRUE(EndedWith(WaitDone(op), Operation::FAILED,
                        static_cast<int>(StatusCode::UNAUTHENTICATED), {"peer token"}));
  ExpectOnlyOnSource("web");
}

TEST_F(DomainMigrationTest, TheDestinationOutOfMemoryRefusesBeforeAnyByteMoves) {
  destination_->Stop();
  StartDestination({"--sim-memory", "1G", "--sim-dom0-memory", "512M"});
  CreateOrDie("big", 768);
  Operation op;
  ASSERT_TRUE(Migrate("big", Destination(), true, 0, &op).ok());
  EXPECT_TRUE(EndedWith(WaitDone(op), Operation::FAILED,
                        static_cast<int>(StatusCode::RESOURCE_EXHAUSTED),
                        {"MiB of memory free", "768 MiB", "runs on here"}));
  ExpectOnlyOnSource("big");
}

TEST_F(DomainMigrationTest, DestinationKilledMidStreamLeavesTheGuestOnTheSource) {
  CreateOrDie("web", 256);
  Operation op;
  ASSERT_TRUE(Migrate("web", Destination(), true, 32, &op).ok());
  ASSERT_TRUE(WaitForProgress(op, 20));
  destination_->Kill();
  Operation done = WaitDone(op, absl::Seconds(60));
  EXPECT_TRUE(EndedWith(done, Operation::FAILED, static_cast<int>(StatusCode::UNAVAILABLE),
                        {"broke", "runs on here"}))
      << done.DebugString();
  // The destination, back, discards the half-received guest.
  StartDestination({});
  ExpectOnlyOnSource("web");
  std::string log = destination_->log();
  EXPECT_NE(log.find("discarded a domain that was arriving by migration"), std::string::npos)
      << log;
}

TEST_F(DomainMigrationTest, SourceKilledMidStreamLeavesTheGuestOnTheSource) {
  CreateOrDie("web", 256);
  Operation op;
  ASSERT_TRUE(Migrate("web", Destination(), true, 32, &op).ok());
  ASSERT_TRUE(WaitForProgress(op, 20));
  KillAndRestartDaemon();
  // The destination saw the call break and kept nothing; the source, back,
  // runs the guest on and says why the migration failed.
  ExpectOnlyOnSource("web");
  Operation ended;
  ASSERT_TRUE(GetOperation(op.name(), &ended).ok());
  EXPECT_TRUE(EndedWith(ended, Operation::FAILED, static_cast<int>(StatusCode::ABORTED),
                        {"migrating", "stays on this host"}))
      << ended.DebugString();
}

TEST_F(DomainMigrationTest, ACutConnectionLeavesTheGuestOnTheSource) {
  CreateOrDie("web", 256);
  absl::StatusOr<std::unique_ptr<TcpFaultProxy>> proxy = TcpFaultProxy::Start(destination_port_);
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  (*proxy)->CutAfter(int64_t{64} << 20);
  Operation op;
  ASSERT_TRUE(Migrate("web", Destination((*proxy)->port()), true, 0, &op).ok());
  Operation done = WaitDone(op, absl::Seconds(60));
  EXPECT_TRUE(EndedWith(done, Operation::FAILED, static_cast<int>(StatusCode::UNAVAILABLE),
                        {"broke", "runs on here"}))
      << done.DebugString();
  ExpectOnlyOnSource("web");
}

TEST_F(DomainMigrationTest, ARecordCorruptedInTransitIsCaughtAndNothingIsKept) {
  CreateOrDie("web", 256);
  absl::StatusOr<std::unique_ptr<TcpFaultProxy>> proxy = TcpFaultProxy::Start(destination_port_);
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  (*proxy)->CorruptAfter(int64_t{32} << 20);
  Operation op;
  ASSERT_TRUE(Migrate("web", Destination((*proxy)->port()), true, 0, &op).ok());
  Operation done = WaitDone(op, absl::Seconds(60));
  EXPECT_GE((*proxy)->corrupted_at(), int64_t{32} << 20);
  EXPECT_TRUE(EndedWith(done, Operation::FAILED, static_cast<int>(StatusCode::DATA_LOSS),
                        {"stream message #", "arrived corrupted", "runs on here"}))
      << done.DebugString();
  ExpectOnlyOnSource("web");
  // The destination logs the refused message with a fingerprint of each of
  // its 64 KiB blocks, to compare with the source's debug log.
  const std::string log = destination_->log();
  const std::string number = LogField(log, "migration stream message arrived corrupted", "message");
  EXPECT_TRUE(
      absl::StrContains(done.error().message(), absl::StrCat("stream message #", number, " ")))
      << number << " vs " << done.error().message();
  const std::string key = "blocks_64k=\"";
  const size_t at = log.find(key);
  ASSERT_NE(at, std::string::npos) << log;
  const size_t end = log.find('"', at + key.size());
  std::vector<std::string> blocks =
      absl::StrSplit(log.substr(at + key.size(), end - at - key.size()), ' ');
  EXPECT_EQ(blocks.size(), 16u) << log.substr(at, 400);
}

// The hand-over's digest does not match the stream the destination verified
// (here the Commit is altered in transit; on real Xen a byte changed in
// either host's memory would do it): the destination never runs its copy
// (not even when a Resolve later says commit), the source takes the guest
// back and runs it, and the destination's copy is discarded. One copy runs.
TEST_F(DomainMigrationTest, AHandOverWhoseDigestDoesNotMatchLeavesTheGuestOnTheSource) {
  CreateOrDie("web", 128);
  absl::StatusOr<std::unique_ptr<TcpFaultProxy>> proxy = TcpFaultProxy::Start(destination_port_);
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  // 0x1A: MigrationMessage field 3, the Commit; its last byte is the
  // digest's last hex digit.
  (*proxy)->AlterLastByteOfMessageStartingWith(0x1A, 0x01);
  Operation op;
  ASSERT_TRUE(Migrate("web", Destination((*proxy)->port()), true, 0, &op).ok());
  Operation done = WaitDone(op, absl::Seconds(60));
  EXPECT_GT((*proxy)->corrupted_at(), 0);
  EXPECT_TRUE(EndedWith(done, Operation::FAILED, static_cast<int>(StatusCode::DATA_LOSS),
                        {"digest", "runs on here", "discarded its copy"}))
      << done.DebugString();
  ExpectOnlyOnSource("web");
  xenia::v1::Domain here = GetOrDie("web");
  EXPECT_TRUE(here.status().handed_over_to().empty()) << here.DebugString();
  // The source's record survives a restart as its own.
  KillAndRestartDaemon();
  ExpectOnlyOnSource("web");
}

// The call breaks just as the source sends the Commit (after the source
// recorded the hand-over): the destination holds the verified guest paused,
// and the source delivers its decision in a Resolve call once the link is
// back, so the guest runs there, once.
TEST_F(DomainMigrationTest, AHandOverCutShortIsCompletedByTheSourcesDecision) {
  CreateOrDie("web", 128);
  Operation op;
  std::unique_ptr<TcpFaultProxy> proxy = MigrateWithTheCommitCut("web", &op);
  ASSERT_NE(proxy, nullptr);
  ASSERT_FALSE(HasFailure());
  proxy->Heal();
  xenia::v1::Domain there;
  Operation done = WaitDone(op, absl::Seconds(60));
  ASSERT_TRUE(EndedWith(done, Operation::DONE)) << done.DebugString();
  ASSERT_TRUE(WaitUntil([&] {
    return GetThere("web", &there).ok() && there.status().power_state() == xenia::v1::RUNNING;
  })) << there.DebugString();
  EXPECT_TRUE(there.status().incoming_migration().empty());
  xenia::v1::Domain gone;
  EXPECT_TRUE(IsError(Get("web", &gone), StatusCode::NOT_FOUND));
  EXPECT_FALSE(SimulatedDomains().contains("web"));
  EXPECT_EQ(SimulatedThere()["web"].power_state(), xenia::v1::RUNNING);
}

// As above, but the source is killed while it retries: at its restart it
// removes its copy (it had handed the guest over) and delivers the decision
// once the destination can be reached.
TEST_F(DomainMigrationTest, ASourceKilledDuringTheHandOverDeliversItsDecisionAfterRestart) {
  CreateOrDie("web", 128);
  Operation op;
  std::unique_ptr<TcpFaultProxy> proxy = MigrateWithTheCommitCut("web", &op);
  ASSERT_NE(proxy, nullptr);
  ASSERT_FALSE(HasFailure());
  KillAndRestartDaemon();
  // Handed over: this host keeps neither the record nor the guest.
  xenia::v1::Domain gone;
  EXPECT_TRUE(IsError(Get("web", &gone), StatusCode::NOT_FOUND));
  EXPECT_FALSE(SimulatedDomains().contains("web"));
  Operation ended;
  ASSERT_TRUE(GetOperation(op.name(), &ended).ok());
  EXPECT_TRUE(EndedWith(ended, Operation::DONE)) << ended.DebugString();
  // The destination still waits; once it can be reached, it runs the guest.
  EXPECT_EQ(SimulatedThere()["web"].power_state(), xenia::v1::PAUSED);
  proxy->Heal();
  xenia::v1::Domain there;
  EXPECT_TRUE(WaitUntil(
      [&] {
        return GetThere("web", &there).ok() && there.status().power_state() == xenia::v1::RUNNING;
      },
      absl::Seconds(60)))
      << there.DebugString() << daemon_->log();
  EXPECT_EQ(SimulatedThere()["web"].power_state(), xenia::v1::RUNNING);
  EXPECT_TRUE(
      daemon_->WaitForLog("delivered the decision on an interrupted migration", absl::Seconds(10)))
      << daemon_->log();
}

// The CLI end to end: `xenia migrate` with progress and the result, and
// `xenia sim behave --dirty-rate`.
TEST_F(DomainMigrationTest, TheCliMigratesAndReportsTheFigures) {
  CreateOrDie("web", 256);
  CliResult r = RunCli(socket(), {"sim", "behave", "web", "--dirty-rate", "50M"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunCli(socket(), {"migrate", "web", Destination(), "--max-rounds", "4", "--downtime", "20ms",
                        "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::vector<std::string> parts = {"web: migrated", "mode:",      "live",
                                          "rounds:",       "downtime:",  "stop reason:",
                                          "xxh3-128:",     Destination()};
  for (const std::string& part : parts) {
    EXPECT_NE(r.out.find(part), std::string::npos) << part << " in:\n" << r.out;
  }
  xenia::v1::Domain there;
  ASSERT_TRUE(GetThere("web", &there).ok());
  EXPECT_EQ(there.status().power_state(), xenia::v1::RUNNING);

  // Refusals are the CLI's usual exit codes with the daemon's words.
  CreateOrDie("db", 128);
  r = RunCli(socket(), {"migrate", "db", "no-port-here", "--wait"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("DESTINATION"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace xenia::testing

// Domains made beside xeniad (as `xl create` would on Xen; on the simulator,
// SimulatorService.CreateUnmanagedDomain) are listed as unmanaged and left
// alone until adopted; guests xeniad built itself are taken back at start-up
// when the store has lost them.
#include <filesystem>

#include "tests/integration/daemon_fixture.h"
#include "xenia/v1/event.grpc.pb.h"

namespace xenia::testing {
namespace {

using grpc::StatusCode;
using xenia::v1::Operation;

class UnmanagedTest : public DaemonFixture {
 protected:
  int32_t CreateBeside(const std::string& name, int32_t memory_mib = 128) {
    xenia::v1::CreateUnmanagedDomainRequest req;
    req.mutable_spec()->set_name(name);
    req.mutable_spec()->set_memory_mib(memory_mib);
    req.mutable_spec()->set_vcpus(2);
    xenia::v1::CreateUnmanagedDomainResponse resp;
    grpc::Status s = daemon_->simulator().CreateUnmanagedDomain(Context().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.domid();
  }
  grpc::Status Adopt(const std::string& name, Operation* op, const std::string& request_id = "") {
    xenia::v1::AdoptDomainRequest req;
    req.set_name(DomainName(name));
    req.set_request_id(request_id);
    return daemon_->domains().AdoptDomain(Context().get(), req, op);
  }
};

TEST_F(UnmanagedTest, ListedAsUnmanagedAndLeftAlone) {
  int32_t domid = CreateBeside("xlguest");
  ASSERT_GT(domid, 0);
  xenia::v1::Domain d;
  ASSERT_TRUE(Get("xlguest", &d).ok());
  EXPECT_FALSE(d.status().managed());
  EXPECT_EQ(d.status().domid(), domid);
  EXPECT_EQ(d.status().power_state(), xenia::v1::RUNNING);
  EXPECT_EQ(d.spec().memory_mib(), 128);
  std::vector<xenia::v1::Domain> strangers =
      ListAllDomains("managed = false", 0, /*include_unmanaged=*/true);
  ASSERT_EQ(strangers.size(), 2u);  // dom0 and the guest
  EXPECT_EQ(strangers[1].spec().name(), "xlguest");

  xenia::v1::Host host;
  ASSERT_TRUE(daemon_->hosts().GetHost(Context().get(), xenia::v1::GetHostRequest(), &host).ok());
  EXPECT_EQ(host.unmanaged_domains(), 1);

  // Verbs are refused with a pointer to adoption.
  Operation op;
  EXPECT_TRUE(IsError(Pause("xlguest", &op), StatusCode::FAILED_PRECONDITION,
                      {"not managed", "xenia adopt xlguest"}));
  EXPECT_TRUE(IsError(Destroy("xlguest", &op), StatusCode::FAILED_PRECONDITION, {"not managed"}));

  // Restarts, even a kill -9, leave it as it was: running, unmanaged.
  KillAndRestartDaemon();
  ASSERT_TRUE(Get("xlguest", &d).ok());
  EXPECT_FALSE(d.status().managed());
  EXPECT_EQ(d.status().domid(), domid);
  EXPECT_EQ(d.status().power_state(), xenia::v1::RUNNING);
  EXPECT_TRUE(ListAllDomains().empty());
}

TEST_F(UnmanagedTest, AdoptionTakesItUnderManagement) {
  int32_t domid = CreateBeside("xlguest", 256);
  Operation op;
  ASSERT_TRUE(Adopt("xlguest", &op, "adopt-1").ok());
  Operation done = WaitDone(op);
  ASSERT_TRUE(EndedWith(done, Operation::DONE));
  EXPECT_EQ(done.method(), "AdoptDomain");
  const xenia::v1::Domain& adopted = done.domain();
  EXPECT_TRUE(adopted.status().managed());
  EXPECT_EQ(adopted.status().domid(), domid);
  EXPECT_EQ(adopted.status().power_state(), xenia::v1::RUNNING);
  EXPECT_EQ(adopted.spec().memory_mib(), 256);
  EXPECT_EQ(adopted.spec().vcpus(), 2);
  EXPECT_EQ(adopted.spec().on_poweroff(), xenia::v1::DESTROY);

  // A repeat of the request returns the same operation; a new one is refused.
  Operation again;
  ASSERT_TRUE(Adopt("xlguest", &again, "adopt-1").ok());
  EXPECT_EQ(again.name(), op.name());
  EXPECT_TRUE(IsError(Adopt("xlguest", &again), StatusCode::ALREADY_EXISTS, {"already managed"}));

  // Now xeniad drives it, and remembers it across a restart.
  ASSERT_TRUE(Pause("xlguest", &op).ok());
  ASSERT_TRUE(EndedWith(WaitDone(op), Operation::DONE));
  RestartDaemon();
  xenia::v1::Domain d = GetOrDie("xlguest");
  EXPECT_TRUE(d.status().managed());
  EXPECT_EQ(d.status().domid(), domid);
  EXPECT_EQ(d.status().power_state(), xenia::v1::PAUSED);
  ASSERT_TRUE(Destroy("xlguest", &op).ok());
  ASSERT_TRUE(EndedWith(WaitDone(op), Operation::DONE));
  EXPECT_EQ(GetOrDie("xlguest").status().power_state(), xenia::v1::SHUTOFF);
}

TEST_F(UnmanagedTest, AGuestXeniadBuiltIsAdoptedAtStartWhenTheStoreLostIt) {
  xenia::v1::Domain mine = CreateOrDie("mine", 256);
  int32_t beside = CreateBeside("xlguest");
  // The store is lost while xeniad is down (a restore from an old backup, a
  // wiped state directory); the guests, and the simulated host, live on.
  daemon_->Kill();
  daemon_.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(db_path() + suffix);
  }
  StartDaemon();
  EXPECT_EQ(LogField(daemon_->log(), "xeniad ready", "adopted"), "1");
  EXPECT_EQ(LogField(daemon_->log(), "xeniad ready", "unmanaged"), "1");

  // Its own guest is taken back, running as it was, and the event says so.
  xenia::v1::Domain d = GetOrDie("mine");
  EXPECT_TRUE(d.status().managed());
  EXPECT_EQ(d.status().domid(), mine.status().domid());
  EXPECT_EQ(d.status().power_state(), xenia::v1::RUNNING);
  EXPECT_EQ(d.spec().uuid(), mine.spec().uuid());
  EXPECT_EQ(d.spec().memory_mib(), 256);
  EXPECT_NE(d.status().message().find("adopted at start-up"), std::string::npos)
      << d.status().message();
  auto events = xenia::v1::EventService::NewStub(daemon_->channel());
  xenia::v1::ListEventsRequest list;
  xenia::v1::ListEventsResponse listed;
  ASSERT_TRUE(events->ListEvents(Context().get(), list, &listed).ok());
  int adopted_events = 0;
  for (const xenia::v1::Event& e : listed.events()) {
    if (e.type() != xenia::v1::Event::DOMAIN_ADOPTED) continue;
    ++adopted_events;
    EXPECT_EQ(e.resource(), "hosts/testhost/domains/mine");
    EXPECT_EQ(e.new_power_state(), xenia::v1::RUNNING);
    EXPECT_NE(e.message().find("xeniad built it"), std::string::npos) << e.message();
  }
  EXPECT_EQ(adopted_events, 1);

  // What was made beside xeniad stays unmanaged and untouched.
  xenia::v1::Domain other;
  ASSERT_TRUE(Get("xlguest", &other).ok());
  EXPECT_FALSE(other.status().managed());
  EXPECT_EQ(other.status().domid(), beside);

  // And the adopted guest is xeniad's to drive again.
  Operation op;
  ASSERT_TRUE(Destroy("mine", &op).ok());
  EXPECT_TRUE(EndedWith(WaitDone(op), Operation::DONE));
}

TEST_F(UnmanagedTest, AdoptingWhatIsNotThereIsNotFound) {
  Operation op;
  EXPECT_TRUE(IsError(Adopt("ghost", &op), StatusCode::NOT_FOUND, {"ghost"}));
}

TEST_F(UnmanagedTest, TheCliShowsAndAdoptsThem) {
  CliResult r = RunCli(socket(), {"sim", "create-unmanaged", "side", "--memory", "64M"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = RunCli(socket(), {"list"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("NOTE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unmanaged"), std::string::npos) << r.out;
  r = RunCli(socket(), {"info", "side"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("no"), std::string::npos) << r.out;
  r = RunCli(socket(), {"pause", "side"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  r = RunCli(socket(), {"adopt", "side", "--wait"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("side: adopted"), std::string::npos) << r.out;
  EXPECT_TRUE(GetOrDie("side").status().managed());
}

}  // namespace
}  // namespace xenia::testing

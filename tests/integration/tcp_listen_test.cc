// --listen HOST:PORT: optional gRPC over TCP, loopback only until TLS exists.
// Loopback clients are unauthenticated and get the viewer role: they may read
// but not change anything.
#include <string>

#include "absl/strings/numbers.h"
#include "tests/integration/daemon_fixture.h"
#include "xenia/v1/access.grpc.pb.h"

namespace xenia::testing {
namespace {

using grpc::StatusCode;
using xenia::v1::Operation;

class TcpListenTest : public DaemonFixture {
 protected:
  void SetUp() override {
    options_.args = {"--listen", "127.0.0.1:0"};
    DaemonFixture::SetUp();
    std::string port = LogField(daemon_->log(), "listening on TCP", "port");
    ASSERT_TRUE(absl::SimpleAtoi(port, &port_)) << daemon_->log();
    ASSERT_GT(port_, 0);
    tcp_ = TcpChannel(port_);
    tcp_domains_ = xenia::v1::DomainService::NewStub(tcp_);
  }
  void TearDown() override {
    // Hang up first: xeniad waits out its shutdown grace for connected
    // clients.
    tcp_domains_.reset();
    tcp_.reset();
    DaemonFixture::TearDown();
  }

  int port_ = 0;
  std::shared_ptr<grpc::Channel> tcp_;
  std::unique_ptr<xenia::v1::DomainService::Stub> tcp_domains_;
};

TEST_F(TcpListenTest, ReadsWorkOverLoopbackTcp) {
  CreateOrDie("web", 256);
  auto hosts = xenia::v1::HostService::NewStub(tcp_);
  xenia::v1::GetHostRequest req;
  xenia::v1::Host host;
  grpc::Status s = hosts->GetHost(Context().get(), req, &host);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(host.name(), "hosts/testhost");
  EXPECT_EQ(host.backend(), "sim");
  EXPECT_EQ(host.defined_domains(), 1);

  xenia::v1::GetDomainRequest get;
  get.set_name(DomainName("web"));
  xenia::v1::Domain d;
  ASSERT_TRUE(tcp_domains_->GetDomain(Context().get(), get, &d).ok());
  EXPECT_EQ(d.status().power_state(), xenia::v1::RUNNING);
  xenia::v1::ListDomainsRequest list;
  list.set_filter("managed = true");
  xenia::v1::ListDomainsResponse listed;
  ASSERT_TRUE(tcp_domains_->ListDomains(Context().get(), list, &listed).ok());
  EXPECT_EQ(listed.domains_size(), 1);

  auto access = xenia::v1::AccessService::NewStub(tcp_);
  xenia::v1::GetCallerRequest who;
  xenia::v1::Caller caller;
  ASSERT_TRUE(access->GetCaller(Context().get(), who, &caller).ok());
  EXPECT_EQ(caller.role(), xenia::v1::VIEWER);
  EXPECT_EQ(caller.authentication(), "tcp");
  EXPECT_EQ(caller.principal().rfind("anonymous@", 0), 0u) << caller.principal();
}

TEST_F(TcpListenTest, ChangesOverLoopbackTcpArePermissionDenied) {
  CreateOrDie("web", 256);
  int64_t operations = CountRows("operations");
  xenia::v1::CreateDomainRequest create;
  create.mutable_spec()->set_name("intruder");
  create.mutable_spec()->set_memory_mib(256);
  Operation op;
  EXPECT_TRUE(IsError(tcp_domains_->CreateDomain(Context().get(), create, &op),
                      StatusCode::PERMISSION_DENIED,
                      {"anonymous@", "/xenia.v1.DomainService/CreateDomain", "admin role"}));
  xenia::v1::DestroyDomainRequest destroy;
  destroy.set_name(DomainName("web"));
  EXPECT_TRUE(IsError(tcp_domains_->DestroyDomain(Context().get(), destroy, &op),
                      StatusCode::PERMISSION_DENIED, {"DestroyDomain", "operator role"}));
  xenia::v1::SetGuestBehaviorRequest behave;
  behave.set_name(DomainName("web"));
  behave.mutable_behavior()->set_ignore_shutdown(true);
  xenia::v1::SetGuestBehaviorResponse behaved;
  auto sim = xenia::v1::SimulatorService::NewStub(tcp_);
  EXPECT_TRUE(IsError(sim->SetGuestBehavior(Context().get(), behave, &behaved),
                      StatusCode::PERMISSION_DENIED, {"SetGuestBehavior", "admin role"}));

  EXPECT_EQ(CountRows("operations"), operations);
  EXPECT_EQ(ListAllDomains().size(), 1u);
  EXPECT_EQ(GetOrDie("web").status().power_state(), xenia::v1::RUNNING);
}

TEST_F(TcpListenTest, PortInUseIsRefused) {
  TempDir other;
  DaemonOptions second;
  second.state_dir = other.path() + "/state";
  second.socket = other.path() + "/xeniad.sock";
  second.args = {"--listen", "127.0.0.1:" + std::to_string(port_)};
  std::string log;
  EXPECT_NE(DaemonProcess::RunExpectingFailure(second, &log), 0) << log;
  EXPECT_NE(log.find("127.0.0.1:" + std::to_string(port_)), std::string::npos) << log;
  // The first daemon still answers on its port.
  auto hosts = xenia::v1::HostService::NewStub(tcp_);
  xenia::v1::GetHostRequest req;
  xenia::v1::Host host;
  EXPECT_TRUE(hosts->GetHost(Context().get(), req, &host).ok());
}

// Not a fixture test: these daemons must not start at all.
TEST(TcpListenRefusalTest, NonLoopbackAddressIsRefusedUntilTlsExists) {
  for (const char* address : {"0.0.0.0:7443", "192.0.2.10:7443", "[::]:7443"}) {
    TempDir dir;
    DaemonOptions options;
    options.state_dir = dir.path() + "/state";
    options.socket = dir.path() + "/xeniad.sock";
    options.args = {"--listen", address};
    std::string log;
    EXPECT_NE(DaemonProcess::RunExpectingFailure(options, &log), 0) << log;
    EXPECT_NE(log.find(address), std::string::npos) << log;
    EXPECT_NE(log.find("TLS"), std::string::npos) << log;
    EXPECT_NE(log.find("loopback"), std::string::npos) << log;
    EXPECT_EQ(log.find("xeniad ready"), std::string::npos) << log;
  }
}

}  // namespace
}  // namespace xenia::testing
